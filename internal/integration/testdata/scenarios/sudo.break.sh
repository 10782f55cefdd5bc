#!/usr/bin/env bash
# Breaks the sudoers policy of the tree in $1 with a drop-in: no pty, no
# environment reset, visible passwords, never-expiring tickets, "." in
# the PATH, a user without authentication, a NOPASSWD rule granting
# everything, every user allowed everything through aliases that expand
# to ALL (on another host of a shared policy, so this tree's accounts keep
# their access as they were), and a grant by exclusion.
set -euo pipefail
root=${1:?usage: sudo.break.sh TREE}
[ -f "$root/etc/sudoers" ] || exit 0
cat >"$root/etc/sudoers.d/90-break" <<'SUDO'
Defaults	!use_pty, !env_reset, visiblepw
Defaults	!logfile
Defaults	timestamp_timeout=-1
Defaults	!ignore_dot
Defaults:deploy	!authenticate
deploy	ALL=(ALL:ALL) NOPASSWD: ALL
User_Alias	EVERYONE = ALL
Cmnd_Alias	EVERYTHING = ALL
EVERYONE	buildhost=(ALL:ALL) EVERYTHING
ops	ALL=(ALL) ALL, !/usr/bin/su
SUDO
chmod 0440 "$root/etc/sudoers.d/90-break"
