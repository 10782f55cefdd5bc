#!/usr/bin/env bash
# Gives the tree in $1 separate, restrictively mounted filesystems in
# /etc/fstab (the debootstrap fstab is empty). Replaces its own block on
# rerun.
set -euo pipefail
root=${1:?usage: mounts.harden.sh TREE}
fstab=$root/etc/fstab
touch "$fstab"
sed -i '/# cradle-harden begin/,/# cradle-harden end/d' "$fstab"
cat >>"$fstab" <<'FSTAB'
# cradle-harden begin
LABEL=root      /               ext4    errors=remount-ro                       0 1
LABEL=var       /var            ext4    defaults,nodev                          0 2
LABEL=varlog    /var/log        ext4    defaults,nodev,nosuid,noexec            0 2
LABEL=audit     /var/log/audit  ext4    defaults,nodev,nosuid,noexec            0 2
LABEL=vartmp    /var/tmp        ext4    defaults,nodev,nosuid,noexec            0 2
LABEL=home      /home           ext4    defaults,nodev,nosuid                   0 2
tmpfs           /tmp            tmpfs   defaults,nodev,nosuid,noexec,size=2G    0 0
tmpfs           /dev/shm        tmpfs   defaults,nodev,nosuid,noexec            0 0
LABEL=swap      none            swap    sw                                      0 0
# cradle-harden end
FSTAB
