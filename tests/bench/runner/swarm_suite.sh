#!/usr/bin/env bash
# Benchmark of a full level-5 suite on a real Docker Swarm: `cc-ci check` of the demo recipe's
# good PR (tests/swarm/demo_recipe.sh) on a lane of its own (tests/swarm/lane.sh), with the
# operator's overlay (functional and data checks) and a Chromium screenshot. Reports the wall
# time of the whole suite and of each stage, where the time went, and cc-ci's own overhead:
# the wall time not spent inside an outside program (abra, docker, git, the checks' curl,
# Chromium) or waiting for the app to answer (the readiness probe).
#   Usage: tests/bench/runner/swarm_suite.sh [RUNS]   (as root, after scripts/setup.sh)
#   BENCH_KEEP=1 keeps the work dir (stage logs, results.json, the calls' times).
# How: abra, docker, git and curl are reached through a timing shim first on PATH
# (timing_shim.c) that notes each call's start and end (nested calls, e.g. abra's own
# docker, run unshimmed inside it);
# the readiness waits come from the stage logs ("ready: ... N ms"); the runner's waits for an
# undeployed stack to go are its runs of docker polls; the screenshot stage and the exit
# after the teardown (stopping the browser) are Chromium's. The shims' own start-up counts
# as cc-ci's overhead, so the overhead reported is an upper bound.
set -uo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
runs=${1:-1}
bin=$root/build/bin
for b in cc-ci swarm_proxy compose_facts timing_shim; do
  [[ -x $bin/$b ]] || { echo "swarm_suite: build first ($bin/$b missing)" >&2; exit 2; }
done
work=$(mktemp -d /tmp/ccci-bench.XXXXXX)
lane=$work/lane
trap '"$root/tests/swarm/lane.sh" down "$lane" >/dev/null 2>&1
      if [[ -n "${BENCH_KEEP:-}" ]]; then echo "kept $work"; else rm -rf "$work"; fi' EXIT
"$root/tests/swarm/lane.sh" up "$lane" "$bin" >"$work/lane.out" || exit 1
[[ -f $lane/skip ]] && { cat "$work/lane.out"; exit 0; }
# shellcheck disable=SC1091
source "$lane/lane.env"
export DOCKER_HOST

mkdir -p "$work/shims" "$work/overlays"
for t in abra docker git curl; do ln -s "$bin/timing_shim" "$work/shims/$t"; done
cp "$root/tests/swarm/demo/ccci-demo.ini" "$work/overlays/"
printf '[runner]\ndomain = bench.test\napp_url = http://{domain}{health_path}\nconnect_to = ::127.0.0.1:%s\noverlay_dir = %s\nscreenshots = true\n' \
  "$LANE_PROXY" "$work/overlays" >"$work/cc-ci.ini"

one_run() {  # $1: run number
  local out=$work/run$1 repo=$work/src$1/ccci-demo times=$work/times$1
  local pr1
  pr1=$("$root/tests/swarm/demo_recipe.sh" repo "$repo" | sed -n 's/^pr1=//p')
  : >"$times"
  local t0 t1
  t0=$EPOCHREALTIME
  nsenter --net="$LANE_NETNS" env PATH="$work/shims:$LANE_BIN:$PATH" BENCH_SHIMS="$work/shims" \
    BENCH_TIMES="$times" "$bin/cc-ci" check "$repo" --ref "$pr1" --config "$work/cc-ci.ini" \
    --out "$out" 2>&1 | while IFS= read -r line; do echo "$EPOCHREALTIME $line"; done \
    >"$work/check$1.out"
  t1=$EPOCHREALTIME
  python3 - "$t0" "$t1" "$out" "$times" "$work/check$1.out" "$shim_cost" <<'EOF'
import json, re, sys
t0, t1, out, times, printed = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
shim_cost = float(sys.argv[6])
wall = t1 - t0
# After the teardown's line, cc-ci check only writes results.json and exits, stopping the
# browser it kept for the screenshot (Chromium's time, not the suite's).
ended = [float(l.split()[0]) for l in open(printed) if re.match(r"\S+ (ok |!! |-- )?teardown +(pass|fail|error)", l)]
exit_tail = t1 - ended[-1] if ended else 0.0
res = json.load(open(out + "/results.json"))
print(f"level {res.get('level')}  wall {wall:.1f} s")
for s in res["stages"]:
    print(f"  {s['name']:<11} {s['status']:<10} {s['duration_ms'] / 1000:6.1f} s")
calls = [(l.split() + ["", ""])[:5] for l in open(times)]
spans = {}
for name, a, b, w1, w2 in calls:
    spans.setdefault(name, []).append((float(a), float(b)))
# The runner's waits for an undeployed stack to go: its runs of `docker --context S ps` and
# `docker --context S network ls`, from the first start to the last end (the sleeps between
# polls are waiting for the swarm, not cc-ci's work).
waits, run = [], None
for name, a, b, w1, w2 in calls:
    polling = name == "docker" and (w1 == "ps" or (w1, w2) == ("network", "ls"))
    if polling:
        run = (run[0], float(b)) if run else (float(a), float(b))
    elif run:
        waits.append(run); run = None
if run:
    waits.append(run)
spans["swarm waits"] = waits
ready = 0.0
for s in res["stages"]:
    try:
        log = open(f"{out}/{s['name']}.log", errors="replace").read()
    except OSError:
        continue
    ready += sum(int(m) for m in re.findall(r"ready: HTTP \d+ after \d+ attempt\(s\), (\d+) ms", log)) / 1000
shot = sum(s["duration_ms"] for s in res["stages"] if s["name"] == "screenshot") / 1000
def union(iv):
    total, end = 0.0, None
    for a, b in sorted(iv):
        if end is None or a > end:
            total += b - a; end = b
        elif b > end:
            total += b - end; end = b
    return total
outside = union([iv for v in spans.values() for iv in v])
print("  where the time went:")
for name in ("abra", "docker", "git", "curl", "swarm waits"):
    iv = spans.get(name, [])
    print(f"    {name:<11} {len(iv):3d} {'calls' if name != 'swarm waits' else 'waits'} {union(iv):6.2f} s")
print(f"    readiness waits       {ready:6.2f} s")
print(f"    screenshot (Chromium) {shot:6.2f} s")
print(f"    exit (stopping Chromium) {exit_tail:6.2f} s")
own = wall - outside - ready - shot - exit_tail
head = min(float(c[1]) for c in calls) - t0
print(f"  cc-ci's own overhead: {own:.2f} s = {100 * own / wall:.2f}% of the run (an upper bound: it")
print(f"  holds the timing shims' own start-up, up to {shim_cost * 1000:.1f} ms x {len(calls)} calls);")
print(f"  of it {head:.2f} s before its first command (process start, set-up, the stage log)")
EOF
}

# What a shim adds to a call outside the interval it notes (its own exec and exit),
# from 40 calls of `git --version` through it: their wall time less the noted intervals.
calibrate() {
  local a b
  a=$EPOCHREALTIME
  for _ in $(seq 40); do PATH="$work/shims:$PATH" BENCH_SHIMS="$work/shims" \
    BENCH_TIMES="$work/calibration" git --version >/dev/null; done
  b=$EPOCHREALTIME
  python3 -c "import sys; n = sum(float(l.split()[2]) - float(l.split()[1]) for l in open(sys.argv[1]))
print(max(0.0, ($b - $a - n) / 40))" "$work/calibration"
}
shim_cost=$(calibrate)
echo "swarm_suite: $(docker version --format 'dockerd {{.Server.Version}}'), $(nproc) cores, $runs run(s) of the demo recipe's PR 1"
for i in $(seq 1 "$runs"); do
  echo "== run $i"
  one_run "$i"
done
