#!/usr/bin/env bash
# Makes the firewall.* rules pass on a copy of the Debian 12 fixture: ufw
# recorded as installed and enabled (ufw.service and ENABLED=yes), default
# deny for input and forward on IPv4 and IPv6, loopback and established
# traffic accepted (before.rules as ufw ships them), sshd allowed and
# spoofed loopback sources dropped (user.rules as `ufw allow 22/tcp` and
# `ufw deny in from 127.0.0.0/8` write them).
set -euo pipefail
root=${1:?usage: $0 ROOT}
status="$root/var/lib/dpkg/status"
if ! grep -qx "Package: ufw" "$status"; then
	printf '\nPackage: ufw\nStatus: install ok installed\nPriority: optional\nSection: admin\nArchitecture: all\nVersion: 0.36.2-1\nDescription: program for managing a Netfilter firewall\n\n' >>"$status"
fi
install -d "$root/lib/systemd/system" "$root/etc/systemd/system/multi-user.target.wants" "$root/etc/ufw" "$root/etc/default"
printf '[Unit]\nDescription=Uncomplicated firewall\n[Service]\nType=oneshot\nExecStart=/lib/ufw/ufw-init start quiet\n[Install]\nWantedBy=multi-user.target\n' >"$root/lib/systemd/system/ufw.service"
ln -sfn /lib/systemd/system/ufw.service "$root/etc/systemd/system/multi-user.target.wants/ufw.service"
printf 'ENABLED=yes\nLOGLEVEL=low\n' >"$root/etc/ufw/ufw.conf"
cat >"$root/etc/default/ufw" <<'CONF'
IPV6=yes
DEFAULT_INPUT_POLICY="DROP"
DEFAULT_OUTPUT_POLICY="ACCEPT"
DEFAULT_FORWARD_POLICY="DROP"
CONF
for v in "" 6; do
	c=ufw$v
	cat >"$root/etc/ufw/before$v.rules" <<RULES
*filter
:$c-before-input - [0:0]
:$c-before-output - [0:0]
:$c-before-forward - [0:0]
-A $c-before-input -i lo -j ACCEPT
-A $c-before-output -o lo -j ACCEPT
-A $c-before-input -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A $c-before-input -m conntrack --ctstate INVALID -j DROP
COMMIT
RULES
	lo=127.0.0.0/8 any=0.0.0.0/0
	[ -z "$v" ] || lo=::1 any=::/0
	cat >"$root/etc/ufw/user$v.rules" <<RULES
*filter
:$c-user-input - [0:0]
:$c-user-output - [0:0]
:$c-user-forward - [0:0]
### RULES ###

### tuple ### allow tcp 22 $any any $any in
-A $c-user-input -p tcp --dport 22 -j ACCEPT

### tuple ### deny any any $any any $lo in
-A $c-user-input -s $lo -j DROP

### END RULES ###
COMMIT
RULES
done
chmod 0640 "$root"/etc/ufw/*.rules
