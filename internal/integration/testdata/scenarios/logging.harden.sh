#!/usr/bin/env bash
# Hardens logging in the tree in $1: a journald drop-in (persistent,
# compressed, forwarded to syslog, bounded, kept a year), private log
# files, a logrotate configuration, logs forwarded over authenticated TLS.
set -euo pipefail
root=${1:?usage: logging.harden.sh TREE}
install -d -m 0755 "$root/etc/systemd/journald.conf.d"
cat >"$root/etc/systemd/journald.conf.d/50-cradle.conf" <<'CONF'
[Journal]
Storage=persistent
Compress=yes
ForwardToSyslog=yes
SystemMaxUse=2G
MaxRetentionSec=1year
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
if [ -d "$root/etc/rsyslog.d" ]; then
	cat >"$root/etc/rsyslog.d/60-remote.conf" <<'CONF'
global(DefaultNetstreamDriverCAFile="/etc/ssl/certs/ca-certificates.crt")
action(type="omfwd" target="logs.example.org" port="6514" protocol="tcp"
       StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
       StreamDriverPermittedPeers="logs.example.org")
CONF
	chmod 0644 "$root/etc/rsyslog.d/60-remote.conf"
fi
