#!/usr/bin/env bash
# Evaluate the same SCAP Security Guide content with OpenSCAP
# (`oscap xccdf eval`, Debian 12's openscap-scanner 1.3.7) and with
# `cradle scan --scap` on the same target and profile; print a rule-by-rule
# table of the differences, the agreement rate, both times (elapsed and
# CPU user+sys) and peak memory (docs/scap-compatibility.md,
# docs/performance.md).
#
#   bench/scap-vs-oscap.sh TARGET CONTENT PROFILE
#     TARGET   host    this machine (live)
#              rootfs  a copy of the debootstrap Debian 12 tree
#                      (scripts/fixture-rootfs.sh) with the scripted
#                      misconfigurations below; oscap reads it through
#                      OSCAP_PROBE_ROOT, cradle through --root
#     CONTENT  deb11   SSG 0.1.65's ssg-debian11-ds.xml with the Debian-version
#                      CPE patch below (the content otherwise only applies to
#                      Debian 11 and every rule is notapplicable on Debian 12)
#              deb12   SSG 0.1.76's ssg-debian12-ds.xml, unpatched
#     PROFILE  an XCCDF profile id or its short name (anssi_np_nt28_high),
#              "largest" (the profile selecting the most rules) or "all"
#              (every rule, through a generated tailoring file)
#
# Environment: OUT=DIR keeps the results there (default: a temporary
# directory, removed at exit); OSCAP=0 or CRADLE=0 skips that half (the
# table then lists one side only). The cradle half is skipped with a note
# when the binary has no `scan --scap`.
#
# The CPE patch: the inventory definition oval:ssg-installed_OS_is_debian11
# matches /etc/debian_version against ^11.[0-9]+$ (object
# oval:ssg-obj_debian_11:obj:1); the patched copy matches ^1[12]\.[0-9]+$ so
# the platform check accepts Debian 12. Nothing else in the content changes.
#
# oscap writes into the root it scans (probe caches, temporary files), which
# is one reason the rootfs target is a throwaway copy.
set -euo pipefail

target=${1:?usage: bench/scap-vs-oscap.sh host|rootfs deb11|deb12 PROFILE|largest|all}
content=${2:?usage: bench/scap-vs-oscap.sh host|rootfs deb11|deb12 PROFILE|largest|all}
profile=${3:?usage: bench/scap-vs-oscap.sh host|rootfs deb11|deb12 PROFILE|largest|all}
repo=$(cd "$(dirname "$0")/.." && pwd)
export PATH=/usr/local/go/bin:$PATH

if [ -n "${OUT:-}" ]; then
	work=$OUT
	mkdir -p "$work"
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi

if ! command -v oscap >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y openscap-scanner >/dev/null
fi
scap=$("$repo/scripts/fixture-scap.sh")
case $content in
deb11)
	src=$scap/0.1.65/root/usr/share/xml/scap/ssg/content/ssg-debian11-ds.xml
	ds=$work/ssg-debian11-ds-cpe12.xml
	sed 's|<ind:pattern operation="pattern match">^11\.\[0-9\]+\$</ind:pattern>|<ind:pattern operation="pattern match">^1[12]\\.[0-9]+$</ind:pattern>|' "$src" >"$ds"
	n=$(grep -c '>^1\[12\]\\\.\[0-9\]+\$<' "$ds" || true)
	[ "$n" -ge 1 ] || { echo "CPE patch did not apply to $src" >&2; exit 1; }
	;;
deb12)
	ds=$scap/0.1.76/root/usr/share/xml/scap/ssg/content/ssg-debian12-ds.xml
	;;
*)
	echo "unknown content $content (deb11, deb12)" >&2
	exit 2
	;;
esac

# Profile: resolve short names, "largest" and "all" (tailoring).
tailoring=()
read -r profile_id tailor_file < <(python3 - "$ds" "$profile" "$work/tailoring-all.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
ds, want, tail = sys.argv[1:]
X = '{http://checklists.nist.gov/xccdf/1.2}'
root = ET.parse(ds).getroot()
bench = next(root.iter(X + 'Benchmark'))
rules = [r.get('id') for r in bench.iter(X + 'Rule')]
profiles = {p.get('id'): p for p in bench.iter(X + 'Profile')}
def selected(pid, seen=()):
    p = profiles[pid]
    sel = set()
    if p.get('extends') and p.get('extends') not in seen:
        sel = selected(p.get('extends'), seen + (pid,))
    for s in p.iter(X + 'select'):
        if s.get('selected') == 'true': sel.add(s.get('idref'))
        else: sel.discard(s.get('idref'))
    return sel
if want == 'all':
    pid = 'xccdf_cradle.bench_profile_all'
    with open(tail, 'w') as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        f.write('<xccdf:Tailoring xmlns:xccdf="http://checklists.nist.gov/xccdf/1.2" id="xccdf_cradle.bench_tailoring_all">\n')
        f.write('  <xccdf:version time="2026-01-01T00:00:00">1</xccdf:version>\n')
        f.write('  <xccdf:Profile id="%s">\n    <xccdf:title>All rules</xccdf:title>\n' % pid)
        for r in rules:
            f.write('    <xccdf:select idref="%s" selected="true"/>\n' % r)
        f.write('  </xccdf:Profile>\n</xccdf:Tailoring>\n')
    print(pid, tail)
elif want == 'largest':
    print(max(profiles, key=lambda p: len(selected(p))), '-')
else:
    pid = want if want in profiles else 'xccdf_org.ssgproject.content_profile_' + want
    if pid not in profiles:
        sys.exit('no profile %s; have: %s' % (want, ' '.join(profiles)))
    print(pid, '-')
PY
)
[ -n "$profile_id" ] || exit 2
[ "$tailor_file" = - ] || tailoring=(--tailoring "$tailor_file")

# The target.
case $target in
host)
	root=/
	;;
rootfs)
	base=$("$repo/scripts/fixture-rootfs.sh")
	root=$work/rootfs
	rm -rf "$root"
	cp -a "$base" "$root"
	# Scripted misconfigurations (each one is a rule some profile checks).
	chmod 0666 "$root/etc/passwd"
	chmod 0644 "$root/etc/shadow"
	chmod o+w "$root/etc/crontab"
	printf 'PermitRootLogin yes\nPermitEmptyPasswords yes\nX11Forwarding yes\n' >>"$root/etc/ssh/sshd_config"
	printf 'kernel.randomize_va_space = 0\nnet.ipv4.ip_forward = 1\nnet.ipv4.conf.all.accept_redirects = 1\n' >"$root/etc/sysctl.d/99-bench-misconf.conf"
	printf 'umask 000\n' >>"$root/etc/profile"
	sed -i 's/^PASS_MAX_DAYS.*/PASS_MAX_DAYS\t999999/' "$root/etc/login.defs"
	mkdir -p "$root/srv/share" && chmod 0777 "$root/srv/share"
	chmod 0666 "$root/etc/gshadow"
	printf 'toor:x:0:0:second root:/root:/bin/bash\n' >>"$root/etc/passwd"
	printf 'toor:*:19000:0:99999:7:::\n' >>"$root/etc/shadow"
	# ... and settings that make other rules pass, so both outcomes are
	# exercised (the tree as debootstrap leaves it fails most hardening
	# rules).
	printf 'MaxAuthTries 3\nClientAliveInterval 300\nClientAliveCountMax 0\nIgnoreRhosts yes\nHostbasedAuthentication no\nPermitUserEnvironment no\nLoginGraceTime 60\n' >>"$root/etc/ssh/sshd_config"
	printf 'kernel.kptr_restrict = 2\nkernel.dmesg_restrict = 1\nfs.suid_dumpable = 0\nfs.protected_symlinks = 1\nfs.protected_hardlinks = 1\nnet.ipv4.conf.all.send_redirects = 0\nnet.ipv4.conf.default.send_redirects = 0\nnet.ipv4.tcp_syncookies = 1\nnet.ipv4.icmp_echo_ignore_broadcasts = 1\nnet.ipv6.conf.all.accept_ra = 0\n' >"$root/etc/sysctl.d/98-bench-hardening.conf"
	printf 'install cramfs /bin/false\ninstall freevxfs /bin/false\ninstall usb-storage /bin/false\nblacklist usb-storage\n' >"$root/etc/modprobe.d/bench.conf"
	printf 'tmpfs /tmp tmpfs nodev,nosuid,noexec 0 0\n/dev/vdb1 /home ext4 defaults 0 2\n/dev/vdb2 /var/tmp ext4 nodev,nosuid,noexec 0 2\n' >>"$root/etc/fstab"
	sed -i 's/^PASS_MIN_DAYS.*/PASS_MIN_DAYS\t1/; s/^PASS_WARN_AGE.*/PASS_WARN_AGE\t7/' "$root/etc/login.defs"
	chmod 0700 "$root/etc/cron.d" "$root/etc/cron.daily" "$root/etc/cron.hourly"
	;;
*)
	echo "unknown target $target (host, rootfs)" >&2
	exit 2
	;;
esac

# warm: walk the target's metadata once so each tool starts from the same
# warm dentry, inode and directory-block caches. Without it the first walk
# after an idle period pays for reloading them (on this VM a host-wide
# cradle run measured 13.9 s cold against 5.9 s warm), and whichever tool
# runs first, or after the other has run for minutes, is measured on a
# different cache.
warm() {
	find "$root" -xdev -printf '' 2>/dev/null || true
}

# run NAME CMD...: time one command (elapsed, user+sys CPU, peak RSS) on a
# warm cache.
run() {
	local name=$1
	shift
	warm
	/usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || true
	read -r secs usr sys rss < <(tail -n 1 "$work/$name.time")
	printf '%-7s %9.2f s elapsed  %9.2f s CPU (user+sys)  %7d MiB peak\n' "$name" "$secs" "$(echo "$usr + $sys" | bc)" "$((rss / 1024))"
}

echo "target: $target ($root); content: $(basename "$ds"); profile: $profile_id; $(nproc) cores; $(oscap --version | head -1)"
if [ "${OSCAP:-1}" != 0 ]; then
	otail=()
	[ "$tailor_file" = - ] || otail=(--tailoring-file "$tailor_file")
	if [ "$target" = rootfs ]; then
		run oscap env OSCAP_PROBE_ROOT="$root" oscap xccdf eval "${otail[@]}" --profile "$profile_id" --results "$work/oscap-results.xml" "$ds"
	else
		run oscap oscap xccdf eval "${otail[@]}" --profile "$profile_id" --results "$work/oscap-results.xml" "$ds"
	fi
fi
if [ "${CRADLE:-1}" != 0 ]; then
	(cd "$repo" && CGO_ENABLED=0 go build -o "$work/cradle" ./cmd/cradle)
	# grep reads the whole help (-q would exit early and, under pipefail,
	# fail the pipeline through SIGPIPE).
	if "$work/cradle" scan --help 2>&1 | grep -- '--scap' >/dev/null; then
		rootarg=()
		[ "$target" = host ] || rootarg=(--root "$root")
		CRADLE_HOME=$work/home run cradle "$work/cradle" scan --scap "$ds" --profile "$profile_id" "${tailoring[@]}" "${rootarg[@]}" --format json -o "$work/cradle.json"
	else
		echo "cradle: this build has no 'scan --scap'; cradle half skipped"
	fi
fi

# Rule-by-rule comparison over the rules either side evaluated (notselected
# rules are left out).
python3 - "$work/oscap-results.xml" "$work/cradle.json" <<'PY'
import sys, json, os, xml.etree.ElementTree as ET
oscap_file, cradle_file = sys.argv[1:]
o, c = {}, {}
if os.path.exists(oscap_file):
    X = '{http://checklists.nist.gov/xccdf/1.2}'
    for rr in ET.parse(oscap_file).getroot().iter(X + 'rule-result'):
        res = rr.find(X + 'result').text
        if res != 'notselected':
            o[rr.get('idref')] = res
if os.path.exists(cradle_file):
    def walk(v):
        if isinstance(v, dict):
            if 'rule_id' in v and 'status' in v:
                c[v['rule_id']] = v['status']
            for x in v.values(): walk(x)
        elif isinstance(v, list):
            for x in v: walk(x)
    walk(json.load(open(cradle_file)))
    c = {k: v for k, v in c.items() if v != 'notselected'}
short = lambda r: r.replace('xccdf_org.ssgproject.content_rule_', '')
def tally(d):
    t = {}
    for v in d.values(): t[v] = t.get(v, 0) + 1
    return ', '.join('%s %d' % kv for kv in sorted(t.items()))
if o: print('oscap : %d rules: %s' % (len(o), tally(o)))
if c: print('cradle: %d rules: %s' % (len(c), tally(c)))
if o and c:
    rules = sorted(set(o) | set(c))
    same = [r for r in rules if o.get(r) == c.get(r)]
    diff = [r for r in rules if o.get(r) != c.get(r)]
    print('\n%-64s %-14s %-14s' % ('rule (differences only)', 'oscap', 'cradle'))
    for r in diff:
        print('%-64s %-14s %-14s' % (short(r), o.get(r, '-'), c.get(r, '-')))
    print('\nagreement: %d/%d rules (%.1f%%)' % (len(same), len(rules), 100.0 * len(same) / len(rules)))
PY
echo "results: $work"
