#!/usr/bin/env bash
# Enables core dumps in the tree in $1: an unlimited hard core limit and
# systemd-coredump storing dumps on disk (via a drop-in).
set -euo pipefail
root=${1:?usage: coredump.break.sh TREE}
install -d -m 0755 "$root/etc/security/limits.d" "$root/etc/systemd/coredump.conf.d"
printf '*\thard\tcore\tunlimited\n' >"$root/etc/security/limits.d/50-cradle-coredump.conf"
printf '[Coredump]\nStorage=none\nProcessSizeMax=0\n' >"$root/etc/systemd/coredump.conf"
printf '[Coredump]\nStorage=external\nProcessSizeMax=2G\n' >"$root/etc/systemd/coredump.conf.d/90-break.conf"
