#!/usr/bin/env bash
# Hardens sensitive-file permissions and banners in the tree in $1: the
# account files and their backups, sudoers, boot loader configuration, and
# banners that do not name the operating system.
set -euo pipefail
root=${1:?usage: perms.harden.sh TREE}
etc=$root/etc
mode() { # mode owner:group file...
	local m=$1 o=$2
	shift 2
	for f; do
		[ -e "$f" ] || continue
		chmod "$m" "$f"
		chown "$o" "$f"
	done
}
mode 0644 root:root "$etc/passwd" "$etc/passwd-" "$etc/group" "$etc/group-"
mode 0640 root:shadow "$etc/shadow" "$etc/shadow-" "$etc/gshadow" "$etc/gshadow-"
mode 0600 root:root "$etc/security/opasswd"
mode 0440 root:root "$etc/sudoers"
mode 0600 root:root "$root/boot/grub/grub.cfg" "$root/boot/grub2/grub.cfg"
rm -f "$etc/hosts.equiv" "$etc/shosts.equiv"
for f in issue issue.net; do
	echo 'Authorized use only. Activity may be monitored.' >"$etc/$f"
	mode 0644 root:root "$etc/$f"
done
echo 'Authorized use only.' >"$etc/motd"
mode 0644 root:root "$etc/motd"
