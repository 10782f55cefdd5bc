#!/usr/bin/env bash
# Breaks sensitive-file permissions in the tree in $1: writable account
# files and backups, readable shadow files and history, writable sudoers,
# PAM, security, login.defs, rsyslog and banner files, a readable boot
# loader configuration, a hosts.equiv trust file, .rhosts, .netrc and
# .forward files in service accounts' homes.
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
# kernel.break.sh (run earlier) may have written a grub.cfg with its own
# kernel command lines; keep them.
[ -e "$root/boot/grub/grub.cfg" ] || echo 'set timeout=5' >"$root/boot/grub/grub.cfg"
chmod 0644 "$root/boot/grub/grub.cfg"
echo '+ +' >"$etc/hosts.equiv"
printf 'Debian GNU/Linux \\r \\m\n' >"$etc/issue.net"
# Per-home trust and credential files, in service accounts' homes from
# passwd (not /root or /home): _chrony's /var/lib/chrony, backup's
# /var/backups, mail's /var/mail.
echo '+ +' >"$root/var/lib/chrony/.rhosts"
printf 'machine ftp.example.com login backup password s3cret\n' >"$root/var/backups/.netrc"
echo '|/tmp/x' >"$root/var/mail/.forward"
