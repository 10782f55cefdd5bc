#!/usr/bin/env bash
# Breaks time synchronisation in the tree in $1: no chrony sources, an NTP
# server open to everyone, world-readable keys; timesyncd without servers.
set -euo pipefail
root=${1:?usage: time.break.sh TREE}
install -d -m 0755 "$root/etc/systemd"
printf '[Time]\n#NTP=\n#FallbackNTP=\n' >"$root/etc/systemd/timesyncd.conf"
c=$root/etc/chrony
[ -d "$c" ] || exit 0
sed -i -E 's/^(server|pool|peer)([[:space:]])/#\1\2/' "$c/chrony.conf"
grep -q '^allow' "$c/chrony.conf" || echo 'allow all' >>"$c/chrony.conf"
touch "$c/chrony.keys"
chmod 0644 "$c/chrony.keys"
