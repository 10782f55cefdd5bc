#!/usr/bin/env bash
# Makes the firewall.* rules fail on a copy of the Debian 12 fixture: two
# managers enabled at once, nftables with an accepting input and forward
# chain (a drop rule only for one address, no loopback or established
# rule, an include of a drop-in directory) and netfilter-persistent
# restoring an IPv4-only iptables ruleset with an ACCEPT policy.
set -euo pipefail
root=${1:?usage: $0 ROOT}
install -d "$root/lib/systemd/system" "$root/etc/systemd/system/sysinit.target.wants" \
	"$root/etc/systemd/system/multi-user.target.wants" "$root/etc/nftables.d" "$root/etc/iptables"
printf '[Service]\nType=oneshot\nExecStart=/usr/sbin/nft -f /etc/nftables.conf\n[Install]\nWantedBy=sysinit.target\n' >"$root/lib/systemd/system/nftables.service"
printf '[Service]\nType=oneshot\nExecStart=/usr/sbin/netfilter-persistent start\n[Install]\nWantedBy=multi-user.target\n' >"$root/lib/systemd/system/netfilter-persistent.service"
ln -sfn /lib/systemd/system/nftables.service "$root/etc/systemd/system/sysinit.target.wants/nftables.service"
ln -sfn /lib/systemd/system/netfilter-persistent.service "$root/etc/systemd/system/multi-user.target.wants/netfilter-persistent.service"
cat >"$root/etc/nftables.conf" <<'CONF'
#!/usr/sbin/nft -f
flush ruleset
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
	}
	chain forward {
		type filter hook forward priority filter
		policy accept
	}
}
include "/etc/nftables.d/*.nft"
CONF
printf 'add rule inet filter input ip saddr 192.0.2.1 drop\n' >"$root/etc/nftables.d/10-block.nft"
cat >"$root/etc/iptables/rules.v4" <<'RULES'
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
RULES
