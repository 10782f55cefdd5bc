#!/usr/bin/env bash
# Disables unneeded kernel modules in the tree in $1 with install lines
# (which stop explicit modprobe too) plus blacklist lines.
set -euo pipefail
root=${1:?usage: kmod.harden.sh TREE}
install -d -m 0755 "$root/etc/modprobe.d"
conf=$root/etc/modprobe.d/cradle-harden.conf
{
	echo "# Kernel modules this system does not need."
	for m in cramfs freevxfs jffs2 hfs hfsplus udf squashfs usb-storage dccp sctp rds tipc n_hdlc can firewire-core bluetooth atm uvcvideo; do
		echo "install $m /bin/false"
		echo "blacklist $m"
	done
} >"$conf"
chmod 0644 "$conf"
