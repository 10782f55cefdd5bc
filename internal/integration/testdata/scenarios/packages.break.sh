#!/usr/bin/env bash
# Makes the packages.* rules fail on a copy of the Debian 12 fixture by
# editing the dpkg status database: unwanted packages are recorded as
# installed, required ones are removed.
set -euo pipefail
root=${1:?usage: $0 ROOT}
status="$root/var/lib/dpkg/status"

add_stanza() { # name
	grep -qx "Package: $1" "$status" && return 0
	tail -n1 "$status" | grep -q . && echo >>"$status"
	printf 'Package: %s\nStatus: install ok installed\nPriority: optional\nSection: net\nArchitecture: amd64\nVersion: 0.0-fixture1\nDescription: fixture package\n\n' "$1" >>"$status"
}

remove_stanza() { # name
	awk -v name="$1" 'BEGIN { RS = ""; ORS = "\n\n" } $0 !~ ("(^|\n)Package: " name "(\n|$)")' "$status" >"$status.tmp"
	cat "$status.tmp" >"$status"
	rm -f "$status.tmp"
}

for p in telnetd telnet rsh-server rsh-client talk nis tftpd-hpa xinetd vsftpd avahi-daemon cups \
	isc-dhcp-server slapd nfs-kernel-server rpcbind dovecot-core samba squid snmpd xserver-xorg-core \
	prelink gcc-12 gdb; do
	add_stanza "$p"
done
for p in aide auditd sudo chrony apparmor libpam-pwquality rsyslog; do
	remove_stanza "$p"
done
