#!/usr/bin/env bash
# Makes the filesystem-wide rules pass in the tree in $1: no world-writable
# regular files, the sticky bit on world-writable directories, and no
# setuid/setgid bit on programs off the baseline's allow-list
# (/usr/local). Runtime directories (proc, sys, dev, run) are left alone,
# as the scan does not enter them.
set -euo pipefail
root=${1:?usage: fswide.harden.sh TREE}
prune=(\( -path "$root/proc" -o -path "$root/sys" -o -path "$root/dev" -o -path "$root/run" \) -prune -o)
find "$root" -xdev "${prune[@]}" -type f -perm -0002 -exec chmod o-w {} +
find "$root" -xdev "${prune[@]}" -type d -perm -0002 ! -perm -1000 -exec chmod +t {} +
find "$root" -xdev "${prune[@]}" -type f \( -perm -4000 -o -perm -2000 \) -perm /0022 -exec chmod go-w {} +
if [ -d "$root/usr/local" ]; then
	find "$root/usr/local" -xdev -type f \( -perm -4000 -o -perm -2000 \) -exec chmod ug-s {} +
fi
