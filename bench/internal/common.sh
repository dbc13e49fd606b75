# Sourced by bench/*/run.sh, which set $here to their own directory first:
# the steps every benchmark's run.sh shares.

root="$(cd "$here/../.." && pwd)"

# has_flag NAME ARGS...: whether ARGS hold -NAME (or --NAME, -NAME=true,
# --NAME=true).
has_flag() {
	local name="$1" a
	shift
	for a in "$@"; do
		case "$a" in
		-"$name" | --"$name" | -"$name"=true | --"$name"=true) return 0 ;;
		esac
	done
	return 1
}

# need_node WHAT FLAG: exit unless node is installed; without it, the run
# needs -FLAG, which skips WHAT.
need_node() {
	command -v node >/dev/null || {
		echo "run.sh: node is required for $1 (or pass -$2)" >&2
		exit 1
	}
}

# npm_ci PACKAGE...: in $here, install exactly the locked versions unless
# node_modules already holds every PACKAGE and matches package-lock.json.
npm_ci() {
	local p stale=0
	cd "$here"
	for p in "$@"; do
		[ -d "node_modules/$p" ] || stale=1
	done
	if [ "$stale" = 1 ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
		npm ci --no-audit --no-fund
	fi
}

# build_and_run NAME ARGS...: build cmd/actord and bench/NAME into a temp dir
# (removed on exit) and run the benchmark with ARGS.
build_and_run() {
	local name="$1"
	shift
	tmp="$(mktemp -d "${TMPDIR:-/tmp}/bench-$name-bin.XXXXXX")"
	trap 'rm -rf "$tmp"' EXIT
	cd "$root"
	go build -o "$tmp/actord" ./cmd/actord
	go build -o "$tmp/bench-$name" "./bench/$name"
	"$tmp/bench-$name" -bin "$tmp/actord" -node-dir "$here" "$@"
}
