#!/usr/bin/env bash
# bench/push: push 1,000,000 items to actord over HTTP and read them back,
# side by side with npm @apify/storage-local. See bench/README.md.
#
# Usage: bench/push/run.sh [flags of bench/push/main.go]
#   e.g. bench/push/run.sh -items 100000
#        bench/push/run.sh -skip-local -concurrency 8
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/../internal/common.sh"

if ! has_flag skip-local "$@"; then
	need_node "the storage-local side" skip-local
	npm_ci @apify/storage-local
	# npm 11 skips install scripts, so better-sqlite3's native addon is not
	# built by `npm ci`; build it from source (no prebuilt download).
	if ! node -e "new (require('better-sqlite3'))(':memory:').close()" 2>/dev/null; then
		npm_config_build_from_source=true npm rebuild better-sqlite3 --ignore-scripts=false
		node -e "new (require('better-sqlite3'))(':memory:').close()"
	fi
fi

build_and_run push "$@"
