#!/usr/bin/env bash
# Hardens cron and at in the tree in $1: root-only crontab and cron
# directories, allow lists instead of deny lists.
set -euo pipefail
root=${1:?usage: cron.harden.sh TREE}
etc=$root/etc
[ -f "$etc/crontab" ] && chmod 0600 "$etc/crontab"
for d in cron.hourly cron.daily cron.weekly cron.monthly cron.yearly cron.d; do
	[ -d "$etc/$d" ] && chmod 0700 "$etc/$d"
done
# The debootstrap tree has no at; a stand-in binary makes the at rules apply.
[ -e "$root/usr/bin/at" ] || install -D -m 0755 /dev/null "$root/usr/bin/at"
for f in cron at; do
	echo root >"$etc/$f.allow"
	chmod 0640 "$etc/$f.allow"
	rm -f "$etc/$f.deny"
done
