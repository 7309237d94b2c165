#!/usr/bin/env bash
# Instructions per Intake::Handle on the memory store, counted by callgrind over a fixed number
# of deliveries (each a new ~16 KB synchronized payload, as intake_bench sends): a figure that a
# busy machine does not move, for before/after comparisons of the intake's CPU cost.
# Usage: tests/bench/bot/handle_ir.sh [INTAKE_BENCH_BINARY] [N]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
bin=${1:-$root/build/bin/intake_bench}
n=${2:-300}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
BENCH_ITERATIONS=$n valgrind --tool=callgrind --callgrind-out-file="$out" \
  --toggle-collect='ccci::Intake::Handle*' "$bin" --benchmark_filter=Fixed >/dev/null 2>&1
total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "$((total / n)) instructions per delivery (Intake::Handle, memory store, $n deliveries)"
