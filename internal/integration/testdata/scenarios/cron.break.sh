#!/usr/bin/env bash
# Breaks cron and at in the tree in $1: a world-writable crontab and
# cron.d, a writable drop-in, deny lists, a writable cron allow list and
# no at allow list.
set -euo pipefail
root=${1:?usage: cron.break.sh TREE}
etc=$root/etc
chmod 0666 "$etc/crontab"
for d in cron.hourly cron.daily cron.weekly cron.monthly cron.d; do
	install -d "$etc/$d"
	chmod 0777 "$etc/$d"
done
printf '* * * * * root /bin/true\n' >"$etc/cron.d/cradle-break"
chmod 0666 "$etc/cron.d/cradle-break"
# The debootstrap tree has no at; a stand-in binary makes the at rules apply.
[ -e "$root/usr/bin/at" ] || install -D -m 0755 /dev/null "$root/usr/bin/at"
# cron.allow world-writable (the pristine tree covers its absence), no
# at.allow, deny lists for both.
echo root >"$etc/cron.allow"
chmod 0666 "$etc/cron.allow"
rm -f "$etc/at.allow"
touch "$etc/cron.deny" "$etc/at.deny"
