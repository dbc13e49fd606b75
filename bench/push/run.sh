#!/usr/bin/env bash
# bench/push: push 1,000,000 items to actord over HTTP and read them back,
# side by side with npm @apify/storage-local. See bench/README.md.
#
# Usage: bench/push/run.sh [flags of bench/push/main.go]
#   e.g. bench/push/run.sh -items 100000
#        bench/push/run.sh -skip-local -concurrency 8
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

skip_local=0
for a in "$@"; do
	case "$a" in
	-skip-local | --skip-local | -skip-local=true | --skip-local=true) skip_local=1 ;;
	esac
done

if [ "$skip_local" = 0 ]; then
	command -v node >/dev/null || {
		echo "run.sh: node is required for the storage-local side (or pass -skip-local)" >&2
		exit 1
	}
	cd "$here"
	# Install exactly the locked versions unless node_modules already matches.
	if [ ! -d node_modules/@apify/storage-local ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
		npm ci --no-audit --no-fund
	fi
	# npm 11 skips install scripts, so better-sqlite3's native addon is not
	# built by `npm ci`; build it from source (no prebuilt download).
	if ! node -e "new (require('better-sqlite3'))(':memory:').close()" 2>/dev/null; then
		npm_config_build_from_source=true npm rebuild better-sqlite3 --ignore-scripts=false
		node -e "new (require('better-sqlite3'))(':memory:').close()"
	fi
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/bench-push-bin.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cd "$root"
go build -o "$tmp/actord" ./cmd/actord
go build -o "$tmp/bench-push" ./bench/push
"$tmp/bench-push" -bin "$tmp/actord" -node-dir "$here" "$@"
