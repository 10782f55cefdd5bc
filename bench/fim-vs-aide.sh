#!/usr/bin/env bash
# Compare `cradle fim` with AIDE on one tree, back to back, warm cache,
# same attributes (type, mode, owner, group, size, mtime, ctime, inode,
# link count, link target, SHA-256). Prints both times, the ratios, peak
# memory, and cradle's hashing rate against Go's SHA-256 throughput over
# all cores measured in the same run (docs/fim.md).
#
#   bench/fim-vs-aide.sh [TREE]      (default /usr; needs root for a full tree)
#
# AIDE (Debian's aide package) is installed with apt-get when missing.
set -euo pipefail

tree=${1:-/usr}
tree=$(realpath "$tree")
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH=/usr/local/go/bin:$PATH

if ! command -v aide >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends aide >/dev/null
fi
(cd "$repo" && CGO_ENABLED=0 go build -o "$work/cradle" ./cmd/cradle)

# AIDE selects by regular expression: escape the tree's path.
re=$(printf '%s' "$tree" | sed 's/[][\.*^$+?(){}|]/\\&/g')
cat >"$work/aide.conf" <<CONF
database_in=file:$work/aide.db
database_out=file:$work/aide.db.new
gzip_dbout=no
report_url=file:$work/aide.report
FIM = ftype+p+u+g+s+m+c+i+n+l+sha256
$re FIM
CONF
cat >"$work/fim.yaml" <<CONF
paths:
  - path: "$tree"
    attributes: [type, mode, owner, group, size, mtime, ctime, inode, links, target, sha256]
CONF
export CRADLE_HOME=$work/home

# run NAME CMD...: time one command (elapsed seconds and peak RSS in KiB).
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$work/$name.time" "$@" >"$work/$name.out" 2>&1 || true
	read -r secs rss <"$work/$name.time"
	printf '%-14s %8.2f s  %7d MiB peak\n' "$name" "$secs" "$((rss / 1024))"
	eval "${name//-/_}_secs=$secs"
}

echo "tree: $tree ($(find "$tree" -xdev | wc -l) entries, $(du -sxh "$tree" | cut -f1)); $(nproc) cores"
echo "warming the page cache..."
find "$tree" -xdev -type f -readable -print0 | xargs -0 -r cat >/dev/null 2>&1 || true

run aide-init aide --config "$work/aide.conf" --init
mv "$work/aide.db.new" "$work/aide.db"
run cradle-init "$work/cradle" fim init --config "$work/fim.yaml" --db "$work/cradle.db" --format json -o "$work/init.json"
run aide-check aide --config "$work/aide.conf" --check
run cradle-check "$work/cradle" fim check --config "$work/fim.yaml" --db "$work/cradle.db" --format json -o "$work/check.json"

for f in init check; do
	if ! grep -q '"kind": "fim_report"' "$work/$f.json" 2>/dev/null; then
		echo "cradle fim $f failed:" >&2
		cat "$work/cradle-$f.out" >&2
		exit 1
	fi
done
bytes=$(sed -n 's/^ *"bytes": \([0-9]*\).*/\1/p' "$work/init.json" | head -1)
entries=$(sed -n 's/^ *"entries": \([0-9]*\).*/\1/p' "$work/init.json" | tail -1)

# Go's SHA-256 on this CPU, per core, in the same run.
per_core=$(cd "$repo" && go test -run '^$' -bench '^BenchmarkSHA256$' -benchtime 2s ./internal/fim |
	sed -n 's/.*[[:space:]]\([0-9.]*\) MB\/s.*/\1/p' | head -1)
all=$(awk -v p="$per_core" -v n="$(nproc)" 'BEGIN{printf "%.0f", p*n}')
rate=$(awk -v b="$bytes" -v s="$cradle_init_secs" 'BEGIN{printf "%.0f", (s>0 ? b/1e6/s : 0)}')
echo
printf 'cradle entries: %s, hashed %s MB\n' "$entries" "$((bytes / 1000000))"
awk -v a="$aide_init_secs" -v c="$cradle_init_secs" 'BEGIN{printf "init:  AIDE/cradle = %.1fx\n", (c>0 ? a/c : 0)}'
awk -v a="$aide_check_secs" -v c="$cradle_check_secs" 'BEGIN{printf "check: AIDE/cradle = %.1fx\n", (c>0 ? a/c : 0)}'
awk -v r="$rate" -v all="$all" -v pc="$per_core" 'BEGIN{printf "cradle init hashing %d MB/s = %.0f%% of SHA-256 over all cores (%d MB/s; %s MB/s per core)\n", r, (all>0 ? 100*r/all : 0), all, pc}'
