#!/usr/bin/env bash
# bench/run: start a trivial actor (a static binary that pushes one item over
# HTTP) through actord's POST /v2/acts/{id}/runs?waitForFinish=60, side by
# side with the same binary started directly. See bench/README.md.
#
# Usage: bench/run/run.sh [flags of bench/run/main.go]
#   e.g. bench/run/run.sh -runs 100 -duration 5s
#        bench/run/run.sh -concurrency 20 -json /tmp/run.json
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/../internal/common.sh"

build_and_run run "$@"
