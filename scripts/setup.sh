#!/usr/bin/env bash
# Installs the Debian packages cc-ci needs (only the missing ones), configures and builds.
# Idempotent and quiet: a second run only rebuilds what changed, and prints nothing when
# nothing did. A build prints one line, and on failure the errors and where the full log is.
# Usage: scripts/setup.sh [build-dir]
# CC_CI_WERROR=ON makes warnings errors (test.sh sets it; a user's build does not).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}

mapfile -t wanted < <(sed -e 's/\s*#.*//' -e 's/\s*$//' -e '/^$/d' "$root/scripts/deps.txt")
sudo=""
[[ $(id -u) == 0 ]] || sudo="sudo"
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Shows the end of a failed step's log and says where the rest is.
failed() {
  grep -E -m 40 'error|Error|FAILED' "$2" >&2 || tail -n 40 "$2" >&2
  echo "setup: $1 failed (full log: $2)" >&2
  exit 1
}

# npm packages the tests need (scripts/npm.txt: the real agent CLIs for the supervisor's
# contract test), into <build>/npm, only when one is missing. Debian's npm where there is none.
if [[ -f $root/scripts/npm.txt ]]; then
  mapfile -t npm_wanted < <(sed -e 's/\s*#.*//' -e 's/\s*$//' -e '/^$/d' "$root/scripts/npm.txt")
  npm_missing=0
  for p in "${npm_wanted[@]}"; do [[ -d $build/npm/node_modules/$p ]] || npm_missing=1; done
  if ((npm_missing)); then
    echo "setup: installing ${npm_wanted[*]} from npm into $build/npm" >&2
    mkdir -p "$build/npm"
    if ! command -v npm >/dev/null; then
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm >&2
    fi
    npm install --prefix "$build/npm" --no-audit --no-fund --loglevel=error "${npm_wanted[@]}" \
      >"$build/setup-npm.log" 2>&1 || failed "npm install" "$build/setup-npm.log"
  fi
fi

# Configured once; later builds regenerate by themselves when a CMakeLists.txt changes.
mkdir -p "$build"
cache=$build/CMakeCache.txt
configure=()
[[ -f $cache ]] || configure=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [[ -n ${CC_CI_WERROR:-} ]] && ! grep -qx "CC_CI_WERROR:BOOL=$CC_CI_WERROR" "$cache" 2>/dev/null; then
  configure+=(-DCC_CI_WERROR="$CC_CI_WERROR")
fi
if ((${#configure[@]})); then
  cmake -S "$root" -B "$build" "${configure[@]}" >"$build/setup-configure.log" 2>&1 ||
    failed "configuring" "$build/setup-configure.log"
fi

# A dry run tells whether anything is out of date; only then is there something to say.
if cmake --build "$build" -- -n 2>/dev/null | grep -q '^ninja: no work to do'; then exit 0; fi
if [[ -f $build/bin/cc-ci ]]; then
  echo "setup: rebuilding cc-ci in $build" >&2
else
  echo "setup: building cc-ci in $build (the first build takes several minutes)" >&2
fi
cmake --build "$build" -j"$(nproc)" >"$build/setup-build.log" 2>&1 || failed "the build" "$build/setup-build.log"
