#!/usr/bin/env bash
# Sets up everything cc-ci needs on Debian 12 (packages, build) and runs every test: a
# bounded libFuzzer run of the webhook parser, then the whole ctest suite (unit, end-to-end
# over real sockets, crash recovery, real Chromium, and the real-Swarm lane: a throwaway
# dockerd and single-node swarm that ctest starts for the tests labelled `swarm`,
# tests/swarm/README.md).
set -euo pipefail
cd "$(dirname "$0")"
CC_CI_WERROR=ON scripts/setup.sh build
scripts/fuzz.sh "${CC_CI_FUZZ_SECONDS:-60}"
# ctest tears the lane down after its tests; should this script be stopped first, this does.
trap 'tests/swarm/lane.sh down build/swarm-lane >/dev/null 2>&1 || true' EXIT
trap 'exit 130' INT TERM HUP
status=0
ctest --test-dir build --output-on-failure -j2 --timeout 600 || status=$?
if [[ -f build/swarm-lane/skip ]]; then
  echo "SKIP real-swarm lane: $(cat build/swarm-lane/skip)"
fi
exit "$status"
