#!/usr/bin/env bash
# scripts/setup.sh on a tiny CMake project in a temp dir: the first run builds and says so in
# one line, a second run with nothing to do prints nothing at all, a change rebuilds with one
# line, and a broken source fails with the compiler's error and where the full log is.
# (./run.sh printed cmake's and ninja's output on every start.) Usage: setup_test.sh SOURCE_ROOT
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/scripts"
cp "$src/scripts/setup.sh" "$tmp/scripts/"
printf "# installed everywhere: nothing to install\nbash\n" >"$tmp/scripts/deps.txt"
cat >"$tmp/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(tiny C)
option(CC_CI_WERROR "warnings are errors" OFF)
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
add_executable(cc-ci main.c)
CM
echo 'int main(void) { return 0; }' >"$tmp/main.c"

fail() { echo "FAIL: $*"; exit 1; }
run() { "$tmp/scripts/setup.sh" "$tmp/build" >"$tmp/out" 2>&1; }

run || fail "first run failed: $(cat "$tmp/out")"
[[ -x $tmp/build/bin/cc-ci ]] || fail "nothing was built"
cp "$tmp/out" "$tmp/first"
run || fail "second run failed: $(cat "$tmp/out")"
[[ ! -s $tmp/out ]] || fail "second run, nothing to do, printed: $(cat "$tmp/out")"
grep -q '^setup: building' "$tmp/first" || fail "first run did not say it builds: $(cat "$tmp/first")"
[[ $(wc -l <"$tmp/first") == 1 ]] || fail "first run printed more than one line: $(cat "$tmp/first")"

CC_CI_WERROR=ON run || fail "run with CC_CI_WERROR=ON failed: $(cat "$tmp/out")"
grep -qx 'CC_CI_WERROR:BOOL=ON' "$tmp/build/CMakeCache.txt" || fail "CC_CI_WERROR=ON did not reach the cache"
CC_CI_WERROR=ON run || fail "second run with CC_CI_WERROR=ON failed"
[[ ! -s $tmp/out ]] || fail "second run with CC_CI_WERROR=ON printed: $(cat "$tmp/out")"

echo 'int main(void) { return 1; }' >"$tmp/main.c"
run || fail "rebuild failed: $(cat "$tmp/out")"
[[ $(cat "$tmp/out") == "setup: rebuilding cc-ci in $tmp/build" ]] || fail "rebuild said: $(cat "$tmp/out")"

echo 'int main(void) { return undeclared_name; }' >"$tmp/main.c"
if run; then fail "a broken source built"; fi
grep -q 'undeclared_name' "$tmp/out" || fail "the compiler's error was not shown: $(cat "$tmp/out")"
grep -q "^setup: the build failed (full log: $tmp/build/setup-build.log)" "$tmp/out" ||
  fail "the failure did not name the log: $(cat "$tmp/out")"
echo "ok"
