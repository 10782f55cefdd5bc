#!/usr/bin/env bash
# Hardens logging in the tree in $1: a journald drop-in (persistent,
# compressed, forwarded to syslog), private log files, a logrotate
# configuration.
set -euo pipefail
root=${1:?usage: logging.harden.sh TREE}
install -d -m 0755 "$root/etc/systemd/journald.conf.d"
cat >"$root/etc/systemd/journald.conf.d/50-cradle.conf" <<'CONF'
[Journal]
Storage=persistent
Compress=yes
ForwardToSyslog=yes
CONF
chmod 0644 "$root/etc/systemd/journald.conf.d/50-cradle.conf"
find "$root/var/log" -type f ! -name 'wtmp*' ! -name 'btmp*' ! -name lastlog ! -name faillog \
	-exec chmod g-wx,o-rwx {} +
if [ ! -f "$root/etc/logrotate.conf" ]; then
	cat >"$root/etc/logrotate.conf" <<'CONF'
weekly
rotate 4
create
include /etc/logrotate.d
CONF
	chmod 0644 "$root/etc/logrotate.conf"
fi
