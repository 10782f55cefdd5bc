#!/usr/bin/env bash
# Breaks the sudoers policy of the tree in $1 with a drop-in: no pty, no
# environment reset, visible passwords, never-expiring tickets, a user
# without authentication and a NOPASSWD rule granting everything.
set -euo pipefail
root=${1:?usage: sudo.break.sh TREE}
[ -f "$root/etc/sudoers" ] || exit 0
cat >"$root/etc/sudoers.d/90-break" <<'SUDO'
Defaults	!use_pty, !env_reset, visiblepw
Defaults	!logfile
Defaults	timestamp_timeout=-1
Defaults:deploy	!authenticate
deploy	ALL=(ALL:ALL) NOPASSWD: ALL
SUDO
chmod 0440 "$root/etc/sudoers.d/90-break"
