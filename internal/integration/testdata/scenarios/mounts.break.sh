#!/usr/bin/env bash
# Writes an fstab for the tree in $1 whose temporary and home directories
# are separate but lack nodev/nosuid/noexec, and with no separate /var,
# /var/log or /var/log/audit, so every mount.* rule fails (the *.separate
# rules for /tmp, /var/tmp and /home fail on the pristine tree).
set -euo pipefail
root=${1:?usage: mounts.break.sh TREE}
fstab=$root/etc/fstab
touch "$fstab"
sed -i '/# cradle-break begin/,/# cradle-break end/d' "$fstab"
cat >>"$fstab" <<'FSTAB'
# cradle-break begin
UUID=3f1c0b6e-1111-4c1e-9a3c-5d2f0e9b7a11 / ext4 errors=remount-ro 0 1
tmpfs /tmp tmpfs defaults,nodev,nosuid,noexec,dev,suid,exec 0 0
tmpfs /dev/shm tmpfs defaults 0 0
/tmp /var/tmp none bind 0 0
/dev/vg0/home /home ext4 defaults 0 2
# cradle-break end
FSTAB
