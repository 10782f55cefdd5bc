#!/usr/bin/env bash
# Makes the services.* rules fail on a copy of the Debian 12 fixture:
# installs and enables unwanted units, enables the debug shell and a serial
# getty, disables audit, syslog, cron, time sync and AppArmor, and boots to
# graphical.target.
set -euo pipefail
root=${1:?usage: $0 ROOT}
lib="$root/usr/lib/systemd/system"
etc="$root/etc/systemd/system"
mkdir -p "$lib" "$etc"

unit() { # name wanted-by
	[ -e "$lib/$1" ] || printf '[Unit]\nDescription=%s (fixture)\n\n[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=%s\n' "$1" "$2" >"$lib/$1"
	enable "$1" "$2"
}
enable() { # name wanted-by
	mkdir -p "$etc/$2.wants"
	ln -sfn "/lib/systemd/system/$1" "$etc/$2.wants/$1"
}

unit rpcbind.service multi-user.target
unit rpcbind.socket sockets.target
unit avahi-daemon.service multi-user.target
unit cups.service multi-user.target
unit telnet.socket sockets.target
unit xinetd.service multi-user.target
unit nfs-server.service multi-user.target
unit kdump-tools.service multi-user.target
[ -e "$lib/serial-getty@.service" ] || printf '[Service]\nExecStart=-/sbin/agetty %%I\n\n[Install]\nWantedBy=getty.target\n' >"$lib/serial-getty@.service"
mkdir -p "$etc/getty.target.wants"
ln -sfn /lib/systemd/system/serial-getty@.service "$etc/getty.target.wants/serial-getty@ttyS0.service"

rm -f "$etc/debug-shell.service" "$etc/ctrl-alt-del.target"
enable debug-shell.service sysinit.target

rm -f "$etc/multi-user.target.wants/auditd.service" \
	"$etc/multi-user.target.wants/rsyslog.service" "$etc/syslog.service" \
	"$etc/multi-user.target.wants/cron.service" \
	"$etc/multi-user.target.wants/chrony.service" "$etc/chronyd.service" \
	"$etc/sysinit.target.wants/apparmor.service"
ln -sfn /lib/systemd/system/graphical.target "$etc/default.target"
