#!/usr/bin/env bash
# Hardens time synchronisation in the tree in $1: chrony has a source,
# serves no clients, and its keys are private; timesyncd has servers.
set -euo pipefail
root=${1:?usage: time.harden.sh TREE}
install -d -m 0755 "$root/etc/systemd/timesyncd.conf.d"
printf '[Time]\nNTP=0.pool.ntp.org 1.pool.ntp.org\n' >"$root/etc/systemd/timesyncd.conf.d/50-cradle.conf"
[ -f "$root/etc/systemd/timesyncd.conf" ] || printf '[Time]\n#NTP=\n' >"$root/etc/systemd/timesyncd.conf"
c=$root/etc/chrony
[ -d "$c" ] || exit 0
grep -qE '^(server|pool|peer)[[:space:]]' "$c/chrony.conf" || echo 'pool pool.ntp.org iburst' >>"$c/chrony.conf"
sed -i -E '/^allow([[:space:]]|$)/d' "$c/chrony.conf"
[ -f "$c/chrony.keys" ] && chmod 0640 "$c/chrony.keys"
exit 0
