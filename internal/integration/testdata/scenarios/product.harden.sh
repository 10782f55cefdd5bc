#!/usr/bin/env bash
# Prepares the tree in $1 as a shippable product image so every product.*
# rule passes: no SSH host keys, private keys, authorized keys, history
# files or machine ID baked in, and one service account whose SHA-512
# password hash is testable and not a default (so default-password checking
# has a verified account besides yescrypt ones it cannot test).
set -euo pipefail
root=${1:?usage: product.harden.sh TREE}
etc=$root/etc

rm -f "$etc"/ssh/ssh_host_*_key "$etc"/ssh/ssh_host_*_key.pub
[ -e "$etc/machine-id" ] && : >"$etc/machine-id"
rm -f "$root"/root/.*history "$root"/home/*/.*history
rm -f "$root"/root/.ssh/id_* "$root"/home/*/.ssh/id_*
rm -f "$root"/root/.ssh/authorized_keys* "$root"/home/*/.ssh/authorized_keys*
rm -rf "$etc/ssl/private"

# A unique (not default) password: Fixture-Unique-7f3a9c.
grep -q '^svc:' "$etc/passwd" || echo 'svc:x:1100:1100:Service operator:/home/svc:/bin/bash' >>"$etc/passwd"
grep -q '^svc:' "$etc/group" || echo 'svc:x:1100:' >>"$etc/group"
grep -q '^svc:' "$etc/gshadow" || echo 'svc:!::' >>"$etc/gshadow"
grep -q '^svc:' "$etc/shadow" ||
	echo 'svc:$6$cradleprodsvc$s9z2Spha5ZeXdqVB.e0fsv.hYaOZWaHhRQ2TJaHBCgfgTm52RO0EDAd6Vz6E/gs0kYo872v.3gG62YuArTdrf1:20000:1:365:7:30::' >>"$etc/shadow"
install -d -m 0700 -o 1100 -g 1100 "$root/home/svc"
