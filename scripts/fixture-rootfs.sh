#!/usr/bin/env bash
# Builds (once) the Debian 12 root filesystem the integration tests scan
# and prints its path. The tree is shared by every test run on a machine;
# tests copy it before changing anything.
set -euo pipefail
dir=${CRADLE_FIXTURES:-/var/cache/cradle-fixtures}
tree="$dir/rootfs-bookworm"
stamp="$tree/.cradle-fixture-v1"
if [ -f "$stamp" ]; then
	echo "$tree"
	exit 0
fi
# Use the mirror this machine's apt already trusts.
mirror=$( (cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true) |
	awk '($1 == "URIs:" || $1 == "deb") && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }')
mirror=${mirror%/}
[ -n "$mirror" ] || { echo "no apt mirror configured" >&2; exit 1; }
mkdir -p "$dir"
rm -rf "$tree.tmp"
debootstrap --variant=minbase \
	--include=openssh-server,sudo,auditd,rsyslog,cron,libpam-pwquality,chrony,systemd,systemd-sysv,procps,kmod,apparmor,unattended-upgrades,login,passwd \
	bookworm "$tree.tmp" "$mirror" >&2
rm -rf "$tree"
mv "$tree.tmp" "$tree"
touch "$stamp"
echo "$tree"
