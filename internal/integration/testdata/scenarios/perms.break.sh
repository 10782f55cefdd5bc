#!/usr/bin/env bash
# Breaks sensitive-file permissions in the tree in $1: writable account
# files and backups, readable shadow files and history, writable sudoers,
# PAM, security, login.defs, rsyslog and banner files, a readable boot
# loader configuration, a hosts.equiv trust file.
set -euo pipefail
root=${1:?usage: perms.break.sh TREE}
etc=$root/etc
for f in passwd passwd- group group- hosts.allow hosts.deny login.defs rsyslog.conf issue issue.net motd pam.d/other; do
	[ -e "$etc/$f" ] && chmod 0666 "$etc/$f"
done
for f in shadow shadow- gshadow gshadow- security/opasswd; do
	[ -e "$etc/$f" ] && chmod 0644 "$etc/$f"
done
chmod 0644 "$etc/sudoers"
[ -f "$etc/sudoers.d/README" ] && chmod 0644 "$etc/sudoers.d/README"
[ -f "$etc/security/limits.conf" ] && chmod 0666 "$etc/security/limits.conf"
install -d "$root/boot/grub"
echo 'set timeout=5' >"$root/boot/grub/grub.cfg"
chmod 0644 "$root/boot/grub/grub.cfg"
echo '+ +' >"$etc/hosts.equiv"
printf 'Debian GNU/Linux \\r \\m\n' >"$etc/issue.net"
