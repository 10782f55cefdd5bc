#!/usr/bin/env bash
# Times `cradle scan` of the live host against a bare parallel metadata walk
# of the same filesystems (bench/barewalk: getdents64 + fstatat, two
# workers, the same skips), and, on the same host in the same run, OpenSCAP
# and Lynis. Run as root on an otherwise idle host; results go to stdout
# (copy them into docs/performance.md). Not part of CI.
#
#   bench/scan.sh                 # 5 runs each, default profile
#   RUNS=3 PROFILE=strict bench/scan.sh
#   COMPARE=0 bench/scan.sh       # skip OpenSCAP and Lynis
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

RUNS=${RUNS:-5}
PROFILE=${PROFILE:-default}
COMPARE=${COMPARE:-1}
out=$(mktemp -d /tmp/cradle-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
[ -x /usr/bin/time ] || need+=(time)
if [ "$COMPARE" = 1 ]; then
	command -v oscap >/dev/null || need+=(openscap-scanner)
	ls /usr/share/xml/scap/ssg/content/ssg-*-ds.xml >/dev/null 2>&1 || need+=(ssg-debian)
	command -v lynis >/dev/null || need+=(lynis)
fi
if [ ${#need[@]} -gt 0 ]; then
	as_root apt-get update -q
	DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${need[@]}"
fi
[ "$(id -u)" = 0 ] || echo "warning: not root; the walk skips unreadable directories" >&2

echo "building..."
go build -trimpath -o "$out/cradle" ./cmd/cradle
go build -trimpath -o "$out/barewalk" ./bench/barewalk

# measure NAME CMD...: one run under /usr/bin/time, appending
# "wall user sys maxrss_kb" to $out/NAME.times.
measure() {
	local name=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$out/t" "$@" >"$out/$name.out" 2>"$out/err" || true
	tail -n1 "$out/t" >>"$out/$name.times"
}

# median FILE COLUMN
median() { awk -v c="$2" '{print $c}' "$1" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
maxcol() { awk -v c="$2" 'BEGIN{m=0} $c>m {m=$c} END {print m}' "$1"; }

echo "warming the cache..."
"$out/barewalk" >/dev/null
"$out/cradle" scan -q -p "$PROFILE" -f json -o "$out/report.json" || true

entries=$("$out/barewalk" | sed -n 's/.*entries=\([0-9]*\).*/\1/p')
cradle_entries=$(grep -o '[0-9]* entries walked' "$out/report.json" | head -1 | cut -d' ' -f1 || true)
rules=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(len(r["results"]))' "$out/report.json" 2>/dev/null || echo "?")

echo "timing ($RUNS runs each, interleaved)..."
for _ in $(seq "$RUNS"); do
	measure bare "$out/barewalk"
	measure cradle "$out/cradle" scan -q -p "$PROFILE" -f json -o /dev/null
done

bw=$(median "$out/bare.times" 1)
cw=$(median "$out/cradle.times" 1)
printf '\nhost: %s, %s CPUs, %s; load average before timing: %s\n' "$(uname -r)" "$(nproc)" \
	"$(. /etc/os-release && echo "$PRETTY_NAME")" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'entries walked: bare %s, cradle %s; cradle rules evaluated (%s profile): %s\n\n' "$entries" "${cradle_entries:-?}" "$PROFILE" "$rules"
printf '%-34s %9s %9s %9s %12s\n' "" "wall s" "user s" "sys s" "max RSS MB"
for n in bare cradle; do
	label="bare walk (2 workers)"
	[ "$n" = cradle ] && label="cradle scan -p $PROFILE"
	printf '%-34s %9s %9s %9s %12s\n' "$label (median of $RUNS)" "$(median "$out/$n.times" 1)" "$(median "$out/$n.times" 2)" "$(median "$out/$n.times" 3)" \
		"$(awk -v k="$(maxcol "$out/$n.times" 4)" 'BEGIN{printf "%.1f", k/1024}')"
done
awk -v c="$cw" -v b="$bw" 'BEGIN{printf "\ncradle / bare wall-time ratio: %.2f (acceptance: <= 1.5; cradle wall < 3 s)\n", c/b}'

if [ "$COMPARE" = 1 ]; then
	. /etc/os-release
	ds=""
	for v in "${VERSION_ID%%.*}" 12 11 10; do
		f=/usr/share/xml/scap/ssg/content/ssg-${ID}${v}-ds.xml
		if [ -f "$f" ]; then ds=$f; break; fi
	done
	echo
	echo "other scanners (one warm run each; their rule sets differ from cradle's, so"
	echo "the times are context, not a like-for-like comparison):"
	if [ -n "$ds" ]; then
		profile=xccdf_org.ssgproject.content_profile_standard
		oscap xccdf eval --profile "$profile" "$ds" >/dev/null 2>&1 || true
		measure oscap oscap xccdf eval --profile "$profile" "$ds"
		nrules=$(grep -c '^Title' "$out/oscap.out" || true)
		read -r w u s m <"$out/oscap.times"
		printf '  %-64s wall %6ss, user %6ss, sys %6ss, RSS %6.1f MB, %s rules\n' "oscap xccdf eval --profile standard $(basename "$ds")" "$w" "$u" "$s" "$(awk -v k="$m" 'BEGIN{print k/1024}')" "$nrules"
	else
		echo "  oscap: no SCAP Security Guide datastream for $ID"
	fi
	# Lynis is slow: one run, after the runs above warmed the cache.
	measure lynis lynis audit system --quick
	read -r w u s m <"$out/lynis.times"
	printf '  %-64s wall %6ss, user %6ss, sys %6ss, RSS %6.1f MB\n' "lynis audit system --quick" "$w" "$u" "$s" "$(awk -v k="$m" 'BEGIN{print k/1024}')"
fi
