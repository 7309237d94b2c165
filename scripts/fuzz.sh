#!/usr/bin/env bash
# Builds the libFuzzer target for the webhook intake with clang (ASan + UBSan) and runs it for
# a bounded time on a seed corpus made from ../shared/gitea/payloads and tests/fuzz/seeds.
# Usage: scripts/fuzz.sh [SECONDS]. Exits non-zero when the fuzzer finds a crash; the crashing
# input is kept in build-fuzz/artifacts/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
build=$root/build-fuzz
cmake -S "$root" -B "$build" -G Ninja -DCC_CI_FUZZ_ONLY=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
if ! cmake --build "$build" --target webhook_intake_fuzz -j"$(nproc)" >"$build/build.log" 2>&1; then
  grep -E 'error|Error' "$build/build.log" | head -n 20
  echo "fuzz: the fuzz target does not build (log: $build/build.log)"
  exit 1
fi

corpus=$build/corpus
mkdir -p "$corpus" "$build/artifacts"
# Seeds: byte 0 picks the event (0 pull_request, 1 issue_comment, 2 push), then the body.
shared=$root/../shared/gitea/payloads
if [[ -d $shared ]]; then
  for f in "$shared"/pull_request_*.json; do { printf '\x00'; cat "$f"; } >"$corpus/seed-$(basename "$f")"; done
  for f in "$shared"/issue_comment_*.json; do { printf '\x01'; cat "$f"; } >"$corpus/seed-$(basename "$f")"; done
fi
for f in "$root"/tests/fuzz/seeds/*; do [[ -f $f ]] && cp "$f" "$corpus/"; done

echo "fuzz: webhook_intake_fuzz for ${secs}s"
"$build/bin/webhook_intake_fuzz" -max_total_time="$secs" -max_len=65536 -timeout=10 \
  -rss_limit_mb=2048 -artifact_prefix="$build/artifacts/" -print_final_stats=1 "$corpus" \
  2>"$build/fuzz.log" || { tail -n 40 "$build/fuzz.log"; echo "fuzz: FAILED (crash input in $build/artifacts/)"; exit 1; }
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$build/fuzz.log" || true
echo "fuzz: no crashes"
