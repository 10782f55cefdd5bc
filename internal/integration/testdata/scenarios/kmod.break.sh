#!/usr/bin/env bash
# Leaves kernel modules loadable in the tree in $1 so every kmod.* rule
# fails: blacklist-only entries (explicit modprobe still loads them) and
# install lines that chain to the real module.
set -euo pipefail
root=${1:?usage: kmod.break.sh TREE}
install -d -m 0755 "$root/etc/modprobe.d"
conf=$root/etc/modprobe.d/00-cradle-break.conf
{
	for m in cramfs freevxfs jffs2 hfs hfsplus udf squashfs usb-storage; do
		echo "blacklist $m"
	done
	for m in dccp sctp rds tipc n_hdlc can firewire-core bluetooth atm uvcvideo; do
		echo "install $m /sbin/modprobe --ignore-install $m"
	done
} >"$conf"
chmod 0644 "$conf"
