#!/usr/bin/env bash
# Hardens the sudoers policy of the tree in $1 with a drop-in: a pty for
# every command, a dedicated log, a short ticket lifetime and "." in the
# PATH ignored.
set -euo pipefail
root=${1:?usage: sudo.harden.sh TREE}
[ -f "$root/etc/sudoers" ] || exit 0
install -d -m 0750 "$root/etc/sudoers.d"
cat >"$root/etc/sudoers.d/50-cradle" <<'SUDO'
# Hardened sudo defaults.
Defaults	use_pty
Defaults	env_reset
Defaults	!visiblepw
Defaults	logfile="/var/log/sudo.log"
Defaults	timestamp_timeout=5
Defaults	ignore_dot
SUDO
chmod 0440 "$root/etc/sudoers.d/50-cradle"
