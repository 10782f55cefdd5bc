#!/usr/bin/env bash
# Makes every product.* rule fail on the tree in $1: an account whose
# password is "admin", root with a password (when still locked) and SSH
# root password login, a getty with autologin, enabled debug, web-admin
# and SNMP services, history files, private and authorized keys. The SSH
# host keys and machine ID of the debootstrap tree are kept.
set -euo pipefail
root=${1:?usage: product.break.sh TREE}
etc=$root/etc
lib=$root/usr/lib/systemd/system
sys=$etc/systemd/system

# SHA-512 hashes of "admin" and "root" (openssl passwd -6).
grep -q '^admin:' "$etc/passwd" || echo 'admin:x:1105:1105:Vendor admin:/home/admin:/bin/bash' >>"$etc/passwd"
grep -q '^admin:' "$etc/group" || echo 'admin:x:1105:' >>"$etc/group"
grep -q '^admin:' "$etc/shadow" ||
	echo 'admin:$6$cradleprodfix$URV8jf7hXywOoea2fokW7fwHoj0E16V4GWPPjoFZ9ue1IIgSwWznhP69AallBK5bLFz39Pz0HsVHd0O6OtlQP1:20000:0:99999:7:::' >>"$etc/shadow"
install -d -m 0755 -o 1105 -g 1105 "$root/home/admin"
# Give root a password only if no other scenario already did.
if grep -qE '^root:[!*]' "$etc/shadow"; then
	sed -i -E 's#^root:[^:]*:#root:$6$cradleprodfix$nEYJO/rLVNTXzz3hv/BJW/4wJTl/MX2w42Fp2f7.0/SA8cPT2RLnnONtR9jIQvsVkPN5ROdfn52Xb3xs6EbtG.:#' "$etc/shadow"
fi
if [ -d "$etc/ssh" ]; then
	install -d "$etc/ssh/sshd_config.d"
	printf 'PermitRootLogin yes\nPasswordAuthentication yes\n' >"$etc/ssh/sshd_config.d/50-cradle-product-break.conf"
fi

# Automatic root login on the first virtual console.
install -d "$sys/getty@tty1.service.d"
cat >"$sys/getty@tty1.service.d/autologin.conf" <<'CONF'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --noclear %I $TERM
CONF

unit() { # name wanted-by
	mkdir -p "$lib" "$sys/$2.wants"
	[ -e "$lib/$1" ] || printf '[Unit]\nDescription=%s (fixture)\n\n[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=%s\n' "$1" "$2" >"$lib/$1"
	ln -sfn "/lib/systemd/system/$1" "$sys/$2.wants/$1"
}
unit adbd.service multi-user.target
unit cockpit.socket sockets.target
unit snmpd.service multi-user.target

echo 'mysql -u root -pS3cret' >"$root/root/.bash_history"
echo 'import os' >"$root/home/admin/.python_history"
install -d -m 0700 "$root/root/.ssh"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\ncradle fixture, not a key\n-----END OPENSSH PRIVATE KEY-----\n' >"$root/root/.ssh/id_ed25519"
echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureFixtureFixtureFixtureFixtureFixture vendor' >"$root/root/.ssh/authorized_keys"
install -d -m 0710 "$etc/ssl/private"
printf -- '-----BEGIN PRIVATE KEY-----\ncradle fixture\n-----END PRIVATE KEY-----\n' >"$etc/ssl/private/device.key"

# Dropbear enabled with its defaults: root's password is accepted.
unit dropbear.service multi-user.target
