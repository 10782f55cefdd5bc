#!/usr/bin/env bash
# Builds (once) the Debian 12 appliance tree of the no-outage acceptance
# test (internal/integration/appliance_test.go) and prints its path.
#
# The tree is a copy of the base fixture (scripts/fixture-rootfs.sh, never
# modified) with nginx-light and pamtester installed and the accounts an
# appliance in the field has:
#   admin     sudo group, a password set long ago (shadow lastchg in 2019);
#             the test adds an SSH key
#   cloud     cloud-init style: locked password, NOPASSWD: ALL in
#             /etc/sudoers.d/90-cloud-init-users; the test adds an SSH key
#   ops       automation: one command-restricted NOPASSWD rule and a cron
#             job that uses it with `sudo -n`; the test adds an SSH key
#   postgres  a service account with a shell, used by `su - postgres -c`
#             from a nightly script
# and a container root filesystem under /var/lib/lxc/web/rootfs whose
# sudo, su and passwd are setuid root.
#
# Logs (auth.log, wtmp) and SSH keys are not part of the tree: the test
# writes them into its copies, dated relative to the day it runs and with
# keys generated for that run.
#
# Needs root and the network (the base tree's apt sources).
set -euo pipefail
cd "$(dirname "$0")/.."

# The admin's password; the test logs in with it (sudo -S).
ADMIN_PASSWORD='Kestrel-harbour-2019'

dir=${CRADLE_FIXTURES:-/var/cache/cradle-fixtures}
tree="$dir/appliance-bookworm"
stamp="$tree/.cradle-fixture-appliance"
base=$(scripts/fixture-rootfs.sh)
# The tree is rebuilt when this script or the base tree's version changes.
want="script $(sha256sum scripts/fixture-appliance.sh | cut -c1-64) base $(cd "$base" && echo .cradle-fixture-*)"
mkdir -p "$dir"
exec 9>"$dir/.appliance-bookworm.lock"
flock 9
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	echo "$tree"
	exit 0
fi
t="$tree.tmp"
rm -rf "$t"
cp -a "$base" "$t"
rm -f "$t"/.cradle-fixture-*

# Install inside a private mount namespace (proc for the maintainer
# scripts), with the host's resolver and no service started.
cp -a "$t/etc/resolv.conf" "$t/etc/resolv.conf.cradle-orig"
cp -L /etc/resolv.conf "$t/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$t/usr/sbin/policy-rc.d"
chmod 0755 "$t/usr/sbin/policy-rc.d"
unshare --mount --fork -- sh -euc '
	mount -t proc proc "$1/proc"
	chroot "$1" apt-get update -q
	DEBIAN_FRONTEND=noninteractive chroot "$1" apt-get install -y -q --no-install-recommends nginx-light pamtester
	chroot "$1" apt-get clean
	umount "$1/proc"
' sh "$t" >&2
rm -f "$t/usr/sbin/policy-rc.d"
mv "$t/etc/resolv.conf.cradle-orig" "$t/etc/resolv.conf"

in_tree() { chroot "$t" "$@"; }

# admin: an administrator with a password set long ago, never changed.
in_tree useradd -m -s /bin/bash -G sudo,adm -c 'Appliance administrator' admin
printf 'admin:%s\n' "$ADMIN_PASSWORD" | in_tree chpasswd
in_tree chage -d 2019-03-01 admin

# cloud: the cloud-init default user, key only, sudo without a password.
in_tree useradd -m -s /bin/bash -G adm -c 'Cloud user' cloud
in_tree usermod -p '!' cloud
cat >"$t/etc/sudoers.d/90-cloud-init-users" <<'EOF'
# Created by cloud-init v. 22.4.2 on Mon, 04 Mar 2024 10:00:00 +0000

# User rules for cloud
cloud ALL=(ALL) NOPASSWD:ALL
EOF
chmod 0440 "$t/etc/sudoers.d/90-cloud-init-users"

# ops: automation that restarts nginx from cron.
in_tree useradd -m -s /bin/bash -c 'Automation' ops
in_tree usermod -p '!' ops
printf 'ops ALL=(ALL) NOPASSWD: /usr/bin/systemctl restart nginx\n' >"$t/etc/sudoers.d/ops-nginx"
chmod 0440 "$t/etc/sudoers.d/ops-nginx"
printf 'SHELL=/bin/sh\n15 4 * * * ops sudo -n /usr/bin/systemctl restart nginx\n' >"$t/etc/cron.d/nginx-restart"
chmod 0644 "$t/etc/cron.d/nginx-restart"

# postgres: a service account with a shell, as the Debian package makes it.
in_tree useradd -r -m -d /var/lib/postgresql -s /bin/bash -c 'PostgreSQL administrator' postgres
in_tree usermod -p '*' postgres
cat >"$t/usr/local/sbin/pg-nightly" <<'EOF'
#!/bin/sh
# Nightly dump of every database.
set -e
su - postgres -c 'pg_dumpall --file=/var/backups/postgresql-nightly.sql'
EOF
chmod 0755 "$t/usr/local/sbin/pg-nightly"
printf 'SHELL=/bin/sh\n30 2 * * * root /usr/local/sbin/pg-nightly\n' >"$t/etc/cron.d/pg-nightly"
chmod 0644 "$t/etc/cron.d/pg-nightly"

# A container's root filesystem, as lxc keeps it.
n="$t/var/lib/lxc/web/rootfs"
mkdir -p "$n/etc" "$n/usr/bin" "$n/usr/sbin" "$n/root" "$n/tmp"
cp -L "$t/etc/os-release" "$n/etc/os-release"
cp "$t/etc/passwd" "$t/etc/group" "$n/etc/"
for b in sudo su passwd chsh newgrp; do
	cp -a "$t/usr/bin/$b" "$n/usr/bin/$b"
	chmod 4755 "$n/usr/bin/$b"
done
chmod 0700 "$t/var/lib/lxc"
chmod 1777 "$n/tmp"
cat >"$t/var/lib/lxc/web/config" <<'EOF'
lxc.uts.name = web
lxc.rootfs.path = dir:/var/lib/lxc/web/rootfs
lxc.include = /usr/share/lxc/config/debian.common.conf
EOF

rm -rf "$tree"
mv "$t" "$tree"
printf '%s\n' "$want" >"$stamp"
echo "$tree"
