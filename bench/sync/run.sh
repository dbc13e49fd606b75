#!/usr/bin/env bash
# bench/sync: 200 concurrent POST /v2/acts/{id}/run-sync-get-dataset-items
# calls of a trivial actor (a static binary that pushes one item over HTTP),
# side by side with 200 concurrent direct starts of the same binary, after a
# sequential baseline. See bench/README.md.
#
# Usage: bench/sync/run.sh [flags of bench/sync/main.go]
#   e.g. bench/sync/run.sh -run-memory 1024
#        bench/sync/run.sh -concurrency 50 -json /tmp/sync.json
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/../internal/common.sh"

build_and_run sync "$@"
