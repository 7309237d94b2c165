#!/usr/bin/env bash
# Sets up everything cc-ci needs on Debian 12 (packages, build) and runs every test: a
# bounded libFuzzer run of the webhook parser, then the whole ctest suite (unit, end-to-end
# over real sockets, crash recovery, real Chromium).
set -euo pipefail
cd "$(dirname "$0")"
CC_CI_WERROR=ON scripts/setup.sh build
scripts/fuzz.sh "${CC_CI_FUZZ_SECONDS:-60}"
ctest --test-dir build --output-on-failure -j2 --timeout 600
