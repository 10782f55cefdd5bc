#!/usr/bin/env bash
# Breaks the filesystem-wide rules in the tree in $1: a world-writable
# configuration file, a world-writable directory without the sticky bit, a
# file owned by a uid and gid the tree's passwd/group do not know, and an
# unexpected setuid-root program that is also group-writable, and
# user-owned, group- or world-writable program and library directories
# and files.
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
# System program and library directories: a vendor directory in
# /usr/local/sbin that a user owns and its group may write, with a program
# the user owns; a world-writable plugin directory under /usr/lib, owned by
# a user, with a world-writable library.
install -d -m 0775 "$root/usr/local/sbin/vendor"
printf '#!/bin/sh\n' >"$root/usr/local/sbin/vendor/update"
chmod 0755 "$root/usr/local/sbin/vendor/update"
chown 1000:1000 "$root/usr/local/sbin/vendor" "$root/usr/local/sbin/vendor/update"
install -d -m 0777 "$root/usr/lib/cradle-plugins"
printf 'ELF' >"$root/usr/lib/cradle-plugins/libplugin.so"
chmod 0666 "$root/usr/lib/cradle-plugins/libplugin.so"
chown 1000:1000 "$root/usr/lib/cradle-plugins" "$root/usr/lib/cradle-plugins/libplugin.so"
