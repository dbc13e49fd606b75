#!/usr/bin/env bash
# bench/export: export a 1,000,000-item dataset from actord over HTTP in every
# format, side by side with the Node tools a user would otherwise use
# (JSON.stringify, @json2csv/node, exceljs). See bench/README.md.
#
# Usage: bench/export/run.sh [flags of bench/export/main.go]
#   e.g. bench/export/run.sh -items 200000
#        bench/export/run.sh -formats json,jsonl -skip-node
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/../internal/common.sh"

if ! has_flag skip-node "$@"; then
	need_node "the Node side" skip-node
	npm_ci exceljs @json2csv/node
fi

build_and_run export "$@"
