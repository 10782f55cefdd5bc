#!/usr/bin/env bash
# Breaks cron and at in the tree in $1: a world-writable crontab and
# cron.d, a writable drop-in, deny lists and a writable allow list.
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
rm -f "$etc/cron.allow"
touch "$etc/cron.deny" "$etc/at.deny"
echo root >"$etc/at.allow"
chmod 0666 "$etc/at.allow"
