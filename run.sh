#!/usr/bin/env bash
# Sets up everything cc-ci needs on Debian 12 (packages, build) and starts the server on its
# embedded default: SQLite under ./data, http://127.0.0.1:8080, dry-run reporting without a
# Gitea token. Extra arguments go to `cc-ci serve` (try --help).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh build
exec build/bin/cc-ci serve "$@"
