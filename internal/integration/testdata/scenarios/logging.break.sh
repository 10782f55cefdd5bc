#!/usr/bin/env bash
# Breaks logging in the tree in $1: rsyslog creating world-readable files
# through a writable drop-in, a volatile uncompressed journal, a
# world-readable log file, a UDP syslog listener, logs forwarded in clear
# text, a one-day journal retention, one rotated syslog kept.
set -euo pipefail
root=${1:?usage: logging.break.sh TREE}
if [ -d "$root/etc/rsyslog.d" ]; then
	cat >"$root/etc/rsyslog.d/50-break.conf" <<'CONF'
$FileCreateMode 0644
module(load="imudp")
input(type="imudp" port="514")
action(type="omfile" file="/var/log/debug.log"
       fileCreateMode="0666")
*.* @@logs.example.org:514
CONF
	chmod 0666 "$root/etc/rsyslog.d/50-break.conf"
fi
install -d -m 0755 "$root/etc/systemd/journald.conf.d"
cat >"$root/etc/systemd/journald.conf.d/90-break.conf" <<'CONF'
[Journal]
Storage=volatile
Compress=no
ForwardToSyslog=no
MaxRetentionSec=1d
CONF
touch "$root/var/log/cradle-break.log"
chmod 0666 "$root/var/log/cradle-break.log"
printf 'weekly\nrotate 1\ninclude /etc/logrotate.d\n' >"$root/etc/logrotate.conf"
if [ -f "$root/etc/logrotate.d/rsyslog" ]; then
	sed -i -E 's/^([[:space:]]*)rotate [0-9]+/\1rotate 1/' "$root/etc/logrotate.d/rsyslog"
fi
