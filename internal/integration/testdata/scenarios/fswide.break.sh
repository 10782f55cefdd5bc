#!/usr/bin/env bash
# Breaks the filesystem-wide rules in the tree in $1: a world-writable
# configuration file, a world-writable directory without the sticky bit, a
# file owned by a uid and gid the tree's passwd/group do not know, and an
# unexpected setuid-root program that is also group-writable.
set -euo pipefail
root=${1:?usage: fswide.break.sh TREE}
install -d "$root/etc/cradle-app" "$root/srv/dropbox" "$root/opt/vendor" "$root/usr/local/bin"
printf 'token=shared\n' >"$root/etc/cradle-app/app.conf"
chmod 0666 "$root/etc/cradle-app/app.conf"
chmod 0777 "$root/srv/dropbox"
printf 'left by a deleted account\n' >"$root/opt/vendor/orphan.dat"
chown 4242:4242 "$root/opt/vendor/orphan.dat"
printf '#!/bin/sh\nexec /bin/sh -p\n' >"$root/usr/local/bin/rootsh"
chown 0:0 "$root/usr/local/bin/rootsh"
chmod 4775 "$root/usr/local/bin/rootsh"
