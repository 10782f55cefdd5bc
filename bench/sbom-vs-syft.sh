#!/usr/bin/env bash
# Compare `cradle sbom` with syft on one target, back to back, warm cache
# (issue 12, acceptance): every package syft finds must be one cradle
# finds, per ecosystem (the package URL's type), by name and version; and
# cradle must be at least 10x faster (wall clock) and use at most a fifth
# of syft's peak memory.
#
#   bench/sbom-vs-syft.sh [--report-only] [--keep DIR] [--exclude DIR]...
#                         [--no-exclude] [--syft-from DIR] [TARGET]
#
# TARGET is a root filesystem directory, or / (the default) for this host.
#
# --exclude DIR (absolute, as seen in TARGET; repeatable) leaves a tree out
# of both tools' walks, identically: syft `--exclude ./DIR`, cradle
# `--exclude /DIR`. For the host (TARGET /) without --exclude, the default
# set is $HOST_EXCLUDES: runtime state and scratch (/proc /sys /dev /run
# /tmp /var/tmp), the fixture and benchmark caches (/var/cache/cradle-fixtures,
# /var/cache/cradle-bench: other systems' root filesystems and syft's own
# build), checkouts (/work), download and build caches (/root/go/pkg/mod,
# /root/.cache, /root/.npm) and the machine's job-runner mounts (/farm,
# /mnt): none of them is software installed on the host. --no-exclude
# walks everything. --syft-from DIR reuses syft-out.json and
# syft-time.txt of an earlier run kept with --keep (syft on a big host
# takes many minutes); SYFT_TIMEOUT (seconds) bounds a fresh syft run,
# and a run that hits it is reported with how far it got.
# syft v1.57.1 is built only to compare, with `go install` into $SYFT_GOBIN
# (default /var/cache/cradle-bench/syft-v1.57.1/bin; outside the
# repository, never vendored; the first build takes many minutes).
#
# Both tools get the same scope: the whole directory tree (syft's
# `dir:` source, one squashed tree; cradle `--root TARGET`, or the host
# when TARGET is /). Both hash what the packages ship by default (syft
# SHA-1/SHA-256 of package-owned files, cradle SHA-512), so both run with
# their defaults. A warm-up run of cradle first fills the page cache for
# both. /usr/bin/time -v gives wall time, CPU time (user+sys) and peak RSS.
#
# Package identity: purl type, then namespace/name and version, normalised
# (case where the ecosystem ignores it, PEP 503 names, Go's leading "v",
# Debian's epoch from either the version or the purl's `epoch` qualifier,
# qualifiers and subpaths dropped). Where syft's identity is its own
# heuristic, what both tools state is compared, by the file each found it
# in (cradle's CycloneDX evidence occurrences): a jar syft names from its
# manifest and file name (made-up group) by artifact and version or by
# the same file's Maven metadata; a generic purl by name and version
# (syft's namespace is a CPE vendor); syft's generic go@V by cradle's
# golang stdlib@V in the same binary; syft's no-purl PE binaries by
# cradle's file component at the same path (docs/sbom.md, "Compared with
# syft"). Packages syft finds that cradle does not are listed per
# ecosystem (the first $SHOW, default 20).
#
# Exit status: 0 when nothing is missed and both ratios meet the targets;
# 1 otherwise (0 with --report-only); 2 on a usage error or a tool that
# failed.
set -euo pipefail

report_only=0
keep=
syft_from=
no_exclude=0
excludes=()
HOST_EXCLUDES=${HOST_EXCLUDES:-"/proc /sys /dev /run /tmp /var/tmp /var/cache/cradle-fixtures /var/cache/cradle-bench /work /root/go/pkg/mod /root/.cache /root/.npm /farm /mnt"}
while [ $# -gt 0 ]; do
	case $1 in
	--report-only) report_only=1 ;;
	--keep) keep=$2; shift ;;
	--exclude) excludes+=("$2"); shift ;;
	--no-exclude) no_exclude=1 ;;
	--syft-from) syft_from=$(realpath "$2"); shift ;;
	-h|--help) sed -n '2,45p' "$0"; exit 0 ;;
	-*) echo "unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
target=$(realpath "${1:-/}")
repo=$(cd "$(dirname "$0")/.." && pwd)
syft_version=v1.57.1
gobin=${SYFT_GOBIN:-/var/cache/cradle-bench/syft-$syft_version/bin}
show=${SHOW:-20}
export PATH=/usr/local/go/bin:$PATH

# Work files are named so that neither tool takes them for package
# metadata or SBOMs should the work directory lie inside the target.
work=${keep:-$(mktemp -d)}
mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT

command -v python3 >/dev/null || { echo "python3 is needed for the comparison" >&2; exit 2; }
if [ ! -x "$gobin/syft" ]; then
	echo "building syft $syft_version into $gobin (not vendored; takes minutes)..."
	mkdir -p "$gobin"
	(cd "$work" && GOBIN=$gobin GOFLAGS=-mod=mod CGO_ENABLED=0 nice go install "github.com/anchore/syft/cmd/syft@$syft_version")
fi
if [ -n "${CRADLE_BIN:-}" ]; then # a cradle already built from this tree
	cp "$CRADLE_BIN" "$work/cradle"
else
	(cd "$repo" && CGO_ENABLED=0 go build -o "$work/cradle" ./cmd/cradle)
fi

if [ "$target" = / ] && [ ${#excludes[@]} -eq 0 ] && [ "$no_exclude" = 0 ]; then
	read -r -a excludes <<<"$HOST_EXCLUDES"
fi
[ "$no_exclude" = 0 ] || excludes=()
cradle_args=(sbom --format cyclonedx-json -o "$work/cradle-out.json")
[ "$target" = / ] || cradle_args+=(--root "$target")
syft_args=(scan "dir:$target" --scope squashed -q -o "syft-json=$work/syft-out.json")
for e in "${excludes[@]}"; do
	case $e in
	/*) ;;
	*) echo "--exclude $e: give an absolute path as seen in the target" >&2; exit 2 ;;
	esac
	rel=${e#/}
	rel=${rel%/}
	cradle_args+=(--exclude "/$rel")
	syft_args+=(--exclude "./$rel")
done
export SYFT_CHECK_FOR_APP_UPDATE=false

# run NAME CMD...: one timed run; sets NAME_wall, NAME_cpu, NAME_rss (KiB).
run() {
	local name=$1
	shift
	local rc=0
	/usr/bin/time -v -o "$work/$name-time.txt" "$@" >"$work/$name-stdout.txt" 2>"$work/$name-stderr.txt" || rc=$?
	read_times "$name"
	if [ "$rc" = 124 ]; then
		echo "$name did not finish within ${SYFT_TIMEOUT}s: CPU (user+sys) $(eval echo \$${name}_cpu) s, peak RSS $(( $(eval echo \$${name}_rss) / 1024 )) MiB when stopped" >&2
		exit 1
	elif [ "$rc" != 0 ]; then
		echo "$name failed:" >&2
		tail -20 "$work/$name-stderr.txt" >&2
		exit 2
	fi
}

# read_times NAME: NAME_wall, NAME_cpu, NAME_rss from $work/NAME-time.txt.
read_times() {
	local name=$1
	eval "$(awk -F': ' -v n="$name" '
		/User time/ {u=$2} /System time/ {s=$2} /Maximum resident/ {m=$2}
		/Elapsed \(wall clock\)/ {k=split($2, a, ":"); w=0; for (i=1; i<=k; i++) w=w*60+a[i]}
		END {printf "%s_wall=%.2f %s_cpu=%.2f %s_rss=%d\n", n, w, n, u+s, n, m}' "$work/$name-time.txt")"
}

echo "target: $target; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ ${#excludes[@]} -eq 0 ] || echo "excluded from both walks: ${excludes[*]}"
echo "syft: $(go version -m "$gobin/syft" | awk '$1 == "mod" {print $2, $3}')"
echo "warm-up run of cradle..."
run warmup "$work/cradle" "${cradle_args[@]}"
if [ -n "$syft_from" ]; then
	echo "syft: the run kept in $syft_from"
	cp "$syft_from/syft-out.json" "$syft_from/syft-time.txt" "$work/" 2>/dev/null || [ "$syft_from" = "$work" ]
	read_times syft
else
	echo "syft ${syft_args[*]} ..."
	if [ -n "${SYFT_TIMEOUT:-}" ]; then
		run syft timeout "$SYFT_TIMEOUT" "$gobin/syft" "${syft_args[@]}"
	else
		run syft "$gobin/syft" "${syft_args[@]}"
	fi
fi
echo "cradle ${cradle_args[*]} ..."
run cradle "$work/cradle" "${cradle_args[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

set +e
python3 - "$work/syft-out.json" "$work/cradle-out.json" "$show" <<'PY'
import json, re, sys
from collections import defaultdict
from urllib.parse import unquote

syft_file, cradle_file, show = sys.argv[1], sys.argv[2], int(sys.argv[3])

def parse_purl(p):
    """type, namespace/name, version, qualifiers of a package URL."""
    if not p or not p.startswith("pkg:"):
        return None
    p = p[4:].split("#", 1)[0]
    quals = {}
    if "?" in p:
        p, q = p.split("?", 1)
        for kv in q.split("&"):
            k, _, v = kv.partition("=")
            quals[k.lower()] = unquote(v)
    version = ""
    if "@" in p:
        p, version = p.rsplit("@", 1)
        version = unquote(version)
    typ, _, rest = p.partition("/")
    name = "/".join(unquote(s) for s in rest.strip("/").split("/"))
    return typ.lower(), name, version, quals

def norm(typ, name, version, quals):
    if typ == "deb" or typ == "rpm" or typ == "apk":
        name = name.split("/")[-1]  # the namespace is the vendor (debian, ubuntu)
        epoch = quals.get("epoch", "")
        if epoch and ":" not in version and epoch != "0":
            version = epoch + ":" + version
        if version.startswith("0:"):
            version = version[2:]
    elif typ == "pypi":
        name = re.sub(r"[-_.]+", "-", name).lower()
    elif typ == "golang":
        if version.startswith("go"):  # stdlib as go1.22.2
            version = version[2:]
        version = version.lstrip("v")
        m = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+))?(rc|beta)(\d+)", version)
        if m:  # go1.21rc2 = v1.21.0-rc.2
            version = "%s.%s.%s-%s.%s" % (m[1], m[2], m[3] or "0", m[4], m[5])
        elif name == "stdlib" and re.fullmatch(r"\d+\.\d+(-.+)?", version):
            # go1.20 = v1.20.0; a vendor's go1.22-20231128-RC02 = v1.22.0-20231128-RC02
            major_minor, _, pre = version.partition("-")
            version = major_minor + ".0" + ("-" + pre if pre else "")
        version = version.replace("+incompatible", "")
    elif typ in ("npm", "cargo", "gem", "maven", "github", "generic"):
        name = name.lower() if typ in ("npm", "github") else name
    return typ, name, version

def syft_packages(path):
    doc = json.load(open(path))
    out = []
    for a in doc.get("artifacts", []):
        pp = parse_purl(a.get("purl", ""))
        if pp is None:
            pp = (a.get("type", "unknown") + "(no purl)", a.get("name", ""), a.get("version", ""), {})
        locs = [l.get("path", "") for l in a.get("locations", [])]
        key = norm(*pp)
        md = a.get("metadata") or {}
        if key[0] == "maven" and not md.get("pomProperties") and not md.get("pomProject"):
            by_file.add(key)
        out.append((key, a.get("foundBy", ""), locs))
    return out

def cradle_excluded(path):
    """The other systems' trees cradle did not enter (cradle:excluded)."""
    doc = json.load(open(path))
    props = doc.get("metadata", {}).get("component", {}).get("properties", [])
    return [p["value"].split(": ", 1)[0] for p in props if p.get("name") == "cradle:excluded"]

def cradle_packages(path):
    doc = json.load(open(path))
    out = []
    def walk(cs):
        for c in cs or []:
            pp = parse_purl(c.get("purl", ""))
            key = None
            if pp is not None:
                key = norm(*pp)
            elif c.get("type") == "file":
                key = ("file", c.get("name", ""), "")
            else:
                # A GitHub Actions reference to a workflow or action in the
                # same repository ("./.github/workflows/ci.yml"): no package
                # URL on either side; syft types it github-action-workflow
                # (or github-action) with version UNKNOWN.
                props = {x.get("name"): x.get("value") for x in c.get("properties") or []}
                if props.get("cradle:cataloger") == "github-actions":
                    kind = "github-action-workflow" if props.get("cradle:github:kind") == "workflow" else "github-action"
                    key = (kind + "(no purl)", c.get("name", ""), c.get("version") or "UNKNOWN")
            if key is not None:
                out.append(key)
                for o in (c.get("evidence") or {}).get("occurrences") or []:
                    at_location[o.get("location", "").lstrip("/")].add(key)
            walk(c.get("components"))
    walk(doc.get("components"))
    return out

# syft's Java archives identified by manifest and file name alone (no
# pom.properties or pom.xml behind them): syft makes up a group (a Java
# package from Bundle-SymbolicName or Main-Class, or the artifact
# repeated), where cradle gives none (docs/sbom.md). They count as found
# by artifact and version, or when cradle names the same file with the
# same version from the archive's own Maven metadata (Debian's
# maven3-core.jar is org.apache.maven:maven-core).
by_file = set()
# cradle's components by the file they were found in (evidence occurrences).
at_location = defaultdict(set)
syft = syft_packages(syft_file)
cradle = cradle_packages(cradle_file)
excluded = cradle_excluded(cradle_file)
cradle_set = set(cradle)
# syft may not know a version (a Go module replaced by a directory):
# any version cradle reports for that name covers it.
cradle_names = {k[:2] for k in cradle}
cradle_artifacts = {(k[1].split("/")[-1], k[2]) for k in cradle if k[0] == "maven"}
cradle_artifact_names = {a for a, _ in cradle_artifacts}

def same_file_version(named, embedded):
    """A version syft read from a file name against the one the archive's
    Maven metadata gives: equal up to trailing ".0"s (servlet-api-3.1.jar
    is 3.1.0) or a build qualifier the file name adds (-nolog, -all)."""
    if named == "":
        return True
    trim = lambda v: re.sub(r"(\.0)+$", "", v)
    return trim(named) == trim(embedded) or named.startswith(embedded + "-")

def found_elsewhere(key, locs):
    """Found under another identity the bench accepts (see above)."""
    typ, name, version = key
    if key in by_file:
        artifact = name.split("/")[-1]
        if (artifact, version) in cradle_artifacts or (version == "" and artifact in cradle_artifact_names):
            return True
        return any(k[0] == "maven" and same_file_version(version, k[2])
                   for l in locs for k in at_location.get(l.lstrip("/"), ()))
    if typ == "generic":
        # A generic namespace is free-form: syft puts the CPE vendor there
        # (oracle/openjdk for any OpenJDK build), cradle none.
        if any(k[0] == "generic" and k[1].split("/")[-1] == name.split("/")[-1] and k[2] == version for k in cradle_set):
            return True
        # syft's classifier names the Go toolchain's go command generic
        # go@VERSION; cradle reads its build information: the toolchain is
        # the stdlib component found in that file.
        if name == "go":
            return any(k == ("golang", "stdlib", version) for l in locs for k in at_location.get(l.lstrip("/"), ()))
        return False
    if typ.endswith("(no purl)"):
        # syft's executables without a package identity (its PE
        # cataloger's version UNKNOWN): cradle lists the same file as a
        # file component, with its hashes.
        return bool(locs) and all(any(k[0] == "file" for k in at_location.get(l.lstrip("/"), ())) for l in locs)
    return False

def inside_excluded(locs):
    """Every location lies in a tree cradle reports it did not enter."""
    return bool(locs) and all(any(l == e or l.startswith(e.rstrip("/") + "/") for e in excluded) for l in locs)

by_type = defaultdict(lambda: [set(), set(), {}, set()])
for key, found_by, locs in syft:
    by_type[key[0]][0].add(key)
for key in cradle:
    by_type[key[0]][1].add(key)
for key, found_by, locs in syft:
    if key in cradle_set or (key[2] == "" and key[:2] in cradle_names) or found_elsewhere(key, locs):
        continue
    if inside_excluded(locs):
        by_type[key[0]][3].add(key)
        continue
    by_type[key[0]][2].setdefault(key, (found_by, locs))
missed_keys = {k for v in by_type.values() for k in v[2]}
# A key syft also found outside the excluded trees is a miss, not excluded.
for v in by_type.values():
    v[3] -= missed_keys
missing_total = len(missed_keys)
print("%-22s %8s %8s %8s %9s" % ("ecosystem (purl type)", "syft", "cradle", "missed", "excluded"))
for typ in sorted(by_type):
    s, c, miss, exc = by_type[typ]
    print("%-22s %8d %8d %8d %9d" % (typ, len(s), len(c), len(miss), len(exc)))
print("%-22s %8d %8d %8d %9d" % ("all", len({k for k, _, _ in syft}), len(cradle_set), missing_total,
    sum(len(v[3]) for v in by_type.values())))
print("(distinct name@version per purl type; syft entries %d, cradle components %d)" % (len(syft), len(cradle)))
if excluded:
    print("excluded: found by syft only inside other systems' trees, which cradle does not enter by design")
    print("(docs/sbom.md; the SBOM lists them as cradle:excluded):")
    for e in excluded:
        print("  " + e)
for typ in sorted(by_type):
    miss = by_type[typ][2]
    if not miss:
        continue
    print("\nsyft finds, cradle misses (%s, %d):" % (typ, len(miss)))
    for i, (key, (found_by, locs)) in enumerate(sorted(miss.items())):
        if i == show:
            print("  ... %d more" % (len(miss) - show))
            break
        more = " (+%d more)" % (len(locs) - 1) if len(locs) > 1 else ""
        print("  %s@%s  [%s] %s%s" % (key[1], key[2], found_by, locs[0] if locs else "", more))
sys.exit(1 if missing_total else 0)
PY
cmp_rc=$?
set -e

echo
printf '%-8s %9s %9s %9s\n' tool "wall s" "cpu s" "peak MiB"
printf '%-8s %9.2f %9.2f %9d\n' syft "$syft_wall" "$syft_cpu" "$((syft_rss / 1024))"
printf '%-8s %9.2f %9.2f %9d\n' cradle "$cradle_wall" "$cradle_cpu" "$((cradle_rss / 1024))"
awk -v sw="$syft_wall" -v cw="$cradle_wall" -v sc="$syft_cpu" -v cc="$cradle_cpu" -v sm="$syft_rss" -v cm="$cradle_rss" 'BEGIN{
	printf "speed:  syft/cradle = %.1fx wall (target >= 10x), %.1fx CPU\n", (cw > 0 ? sw/cw : 0), (cc > 0 ? sc/cc : 0)
	printf "memory: cradle/syft = %.3f of the peak RSS (target <= 0.2)\n", (sm > 0 ? cm/sm : 1)}'
pass=$(awk -v sw="$syft_wall" -v cw="$cradle_wall" -v sm="$syft_rss" -v cm="$cradle_rss" 'BEGIN{print (cw > 0 && sw/cw >= 10 && cm/sm <= 0.2) ? 1 : 0}')
if [ "$cmp_rc" -ne 0 ]; then
	echo "FAIL: syft finds packages cradle misses"
elif [ "$pass" != 1 ]; then
	echo "FAIL: speed or memory target not met"
else
	echo "PASS"
fi
[ -z "$keep" ] || echo "outputs kept in $work"
if [ "$report_only" = 1 ]; then
	exit 0
fi
[ "$cmp_rc" -eq 0 ] && [ "$pass" = 1 ]
