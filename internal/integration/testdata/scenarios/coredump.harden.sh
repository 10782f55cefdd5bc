#!/usr/bin/env bash
# Disables core dumps in the tree in $1: a hard core limit of 0 for
# everyone and systemd-coredump storing and processing nothing.
set -euo pipefail
root=${1:?usage: coredump.harden.sh TREE}
install -d -m 0755 "$root/etc/security/limits.d" "$root/etc/systemd"
printf '# No core dumps.\n*\thard\tcore\t0\n' >"$root/etc/security/limits.d/50-cradle-coredump.conf"
chmod 0644 "$root/etc/security/limits.d/50-cradle-coredump.conf"
cat >"$root/etc/systemd/coredump.conf" <<'CONF'
[Coredump]
Storage=none
ProcessSizeMax=0
CONF
chmod 0644 "$root/etc/systemd/coredump.conf"
