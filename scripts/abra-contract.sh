#!/usr/bin/env bash
# Checks that the abra on this host knows every command and flag cc-ci's runner uses
# (bot/runner/suite.cc), by asking `abra <command> --help`. Run it on a CI host after
# installing or upgrading abra:   scripts/abra-contract.sh [path/to/abra]
# Exit 0: all there. Exit 1: something is missing (listed); the runner would fail on it.
set -u
abra="${1:-abra}"
command -v "$abra" >/dev/null || { echo "abra-contract: $abra not found" >&2; exit 2; }
# command | flags cc-ci passes to it
contract=(
  "app ls|--server --no-input"
  "app new|--server --domain --no-input"
  "app secret generate|--all --no-input"
  "app deploy|--chaos --force --no-domain-checks --no-input"
  "app undeploy|--no-input"
  "app volume remove|--force --no-input"
  "app backup create|--no-input"
  "app restore|--no-input"
  "app remove|--force --no-input"
  "recipe lint|--chaos --no-input"
)
missing=0
for entry in "${contract[@]}"; do
  cmd="${entry%%|*}"
  # shellcheck disable=SC2086  # the command's words are meant to split
  help=$(ABRA_DIR="${ABRA_DIR:-$(mktemp -d)}" "$abra" $cmd --help 2>&1) || {
    echo "MISSING  abra $cmd (--help failed: $(echo "$help" | tail -n1))"; missing=1; continue; }
  for flag in ${entry#*|}; do
    if grep -qE -- "(^|[ ,])$flag([ ,=]|$)" <<<"$help"; then
      echo "ok       abra $cmd $flag"
    else
      echo "MISSING  abra $cmd $flag"; missing=1
    fi
  done
done
exit "$missing"
