#!/usr/bin/env bash
# Regenerates the journal files in this directory with the machine's own
# systemd-journald (run as root; Debian 12's systemd 252 made the
# committed ones). journald runs in a private mount namespace with its
# own /run, configuration and machine id, so the host's
# journal and configuration are untouched. Each variant goes through
# rotation (an archived system@….journal) and a killed writer whose file
# journald sets aside on restart (system@….journal~).
#
#   sudo bash testdata/mkjournal.sh        # writes testdata/*.journal.gz
#   sudo bash testdata/mkjournal.sh big DIR
#       writes a brute-forced host's journal (300,000 failed and 30
#       accepted sshd logins, 100,000 cron lines; about 290 MB in 13
#       files) under DIR/var/log/journal for BenchmarkReadBruteForce
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
journald=/lib/systemd/systemd-journald
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mid=0123456789abcdef0123456789abcdef
echo $mid >"$work/machine-id"
cat >"$work/journald.conf" <<'CONF'
[Journal]
Storage=volatile
Compress=COMPRESS
RuntimeMaxFileSize=1M
ForwardToSyslog=no
ForwardToWall=no
ForwardToKMsg=no
ForwardToConsole=no
ReadKMsg=no
RateLimitBurst=0
Seal=no
CONF

# send.py sends syslog datagrams (as sshd, sudo and cron would) and native
# protocol messages (a binary field, a repeated field, large values).
cat >"$work/send.py" <<'PY'
import socket, struct, sys, time
phase = sys.argv[1]
dev = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
nat = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
def syslog(ident, pid, msg, pri=38):
    ts = time.strftime("%b %e %H:%M:%S")
    dev.sendto(("<%d>%s %s[%d]: %s" % (pri, ts, ident, pid, msg)).encode(), "/run/systemd/journal/dev-log")
def native(fields):
    b = b""
    for k, v in fields:
        if isinstance(v, str):
            v = v.encode()
        if b"\n" in v or any(c < 32 for c in v):
            b += k.encode() + b"\n" + struct.pack("<Q", len(v)) + v + b"\n"
        else:
            b += k.encode() + b"=" + v + b"\n"
    nat.sendto(b, "/run/systemd/journal/socket")
n = {"a": 700, "b": 200, "c": 40}[phase]
for i in range(n):
    syslog("CRON", 1000 + i % 50, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0) %d" % i, 86)
    if i % 97 == 0:
        syslog("sshd", 2000 + i, "Accepted publickey for alice from 192.0.2.10 port %d ssh2: ED25519 SHA256:%s %s" % (40000 + i, "q" * 43, phase))
        syslog("sshd", 2000 + i, "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)", 86)
    if i % 131 == 0:
        syslog("sshd", 3000 + i, "Failed password for invalid user admin from 198.51.100.%d port 22 ssh2" % (i % 250))
        syslog("sudo", 4000 + i, "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx", 85)
    if i % 211 == 0:
        syslog("sudo", 5000 + i, "ops : PWD=/ ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx", 85)
        syslog("sshd-session", 6000 + i, "Accepted password for bob from 2001:db8::5 port %d ssh2" % (50000 + i))
native([("MESSAGE", "binary and repeated fields " + phase), ("SYSLOG_IDENTIFIER", "cradle-test"),
        ("BINARY", b"\x00\x01\x02line\nbreak\xff"), ("REPEATED", "one"), ("REPEATED", "two"),
        ("LARGE", "large value " * 400), ("EMPTY", "")])
syslog("sudo", 7000, "carol : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/carol ; USER=root ; COMMAND=/bin/bash", 85)
PY

if [ "${1:-}" = big ]; then
	dest=$(realpath "$2")
	cat >"$work/big.py" <<'PY'
import socket, time
dev = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
def syslog(ident, pid, msg, pri=38):
    dev.sendto(("<%d>%s %s[%d]: %s" % (pri, time.strftime("%b %e %H:%M:%S"), ident, pid, msg)).encode(), "/run/systemd/journal/dev-log")
for i in range(300000):
    syslog("sshd", 3000 + i % 30000, "Failed password for invalid user admin%d from 198.51.100.%d port %d ssh2" % (i, i % 250, 1024 + i % 60000))
    if i % 3 == 0:
        syslog("CRON", 1000 + i % 50, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0) %d" % i, 86)
    if i % 10000 == 0:
        syslog("sshd", 2000 + i, "Accepted publickey for alice from 192.0.2.10 port %d ssh2" % (40000 + i % 20000))
PY
	sed -i -e "s/^Compress=.*/Compress=512/" -e "s/^RuntimeMaxFileSize=.*/RuntimeMaxFileSize=64M\nRuntimeMaxUse=1G/" "$work/journald.conf"
	unshare --mount --propagation private bash -euo pipefail -c '
		mount -t tmpfs -o size=2G tmpfs /run
		mount --bind "$1/journald.conf" /etc/systemd/journald.conf
		mount --bind "$1/machine-id" /etc/machine-id
		'"$journald"' >/dev/null 2>&1 &
		jp=$!
		for _ in $(seq 50); do [ -S /run/systemd/journal/dev-log ] && break; sleep 0.1; done
		python3 "$1/big.py"
		sleep 2
		kill -TERM $jp; wait $jp || true
		mkdir -p "$2/var/log/journal"
		cp -a /run/log/journal/. "$2/var/log/journal/"
	' _ "$work" "$dest"
	du -sh "$dest/var/log/journal"
	exit 0
fi

run() { # name compact keyed compress
	local name=$1 out="$work/$1"
	mkdir -p "$out"
	sed -i "s/^Compress=.*/Compress=$4/" "$work/journald.conf"
	unshare --mount --propagation private bash -euo pipefail -c '
		mount -t tmpfs tmpfs /run
		mount --bind "$1/journald.conf" /etc/systemd/journald.conf
		mount --bind "$1/machine-id" /etc/machine-id
		start() {
			SYSTEMD_JOURNAL_COMPACT=$3 SYSTEMD_JOURNAL_KEYED_HASH=$4 '"$journald"' >/dev/null 2>&1 &
			jp=$!
			for _ in $(seq 50); do [ -S /run/systemd/journal/dev-log ] && break; sleep 0.1; done
		}
		settle() { sleep 1; }
		start "$@"; python3 "$1/send.py" a; settle
		kill -USR2 $jp; sleep 0.5          # rotate: system@….journal
		python3 "$1/send.py" b; settle
		kill -KILL $jp; wait $jp || true   # a writer that died
		start "$@"; python3 "$1/send.py" c; settle   # sets the dead file aside as ….journal~
		kill -TERM $jp; wait $jp || true
		cp -a /run/log/journal/'"$mid"'/. "$2/"
	' _ "$work" "$out" "$2" "$3"
	rm -f "$here/$name"-*.journal*.gz
	local i=0
	for f in $(ls -tr "$out"); do
		case $f in
		system.journal) dst=$name-active.journal ;;
		*.journal~) dst=$name-dirty.journal~ ;;
		system@*) i=$((i + 1)); dst=$name-archived$i.journal ;;
		*) continue ;;
		esac
		gzip -9n <"$out/$f" >"$here/$dst.gz"
	done
}
run compact 1 1 64
run regular 0 0 64
run plain 1 1 no # uncompressed, for the tests to re-encode as LZ4, XZ and ZSTD
rm -f "$here"/plain-archived* "$here"/plain-dirty*
ls -l "$here"/*.gz
