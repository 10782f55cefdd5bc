#!/usr/bin/env bash
# Gives the appliance tree ROOT a persistent systemd journal written by
# the tree's own systemd-journald, as a Debian 12 system that keeps its
# logs only in the journal has them. Run by appliance_test.go inside
# `unshare --mount --pid --fork`; the journal is the only thing written to
# the tree (the fresh /run and /proc are private mounts).
#
# Usage: journal.sh ROOT < MESSAGES
# Each line of MESSAGES is "FACILITY TAG PID MESSAGE" (PID 0: none), sent
# as a syslog datagram with the tree's logger, so journald records it
# with SYSLOG_IDENTIFIER=TAG, SYSLOG_PID=PID and MESSAGE as sshd, sudo
# and cron would. journald stamps each entry with the time it arrives.
set -euo pipefail
r=$1
mount -t proc proc "$r/proc"
mount -t tmpfs -o mode=0755 tmpfs "$r/run"
mount --rbind /sys "$r/sys" # journald needs the cgroup tree
# Write to /var/log/journal at once, as after systemd-journal-flush.
mkdir -p "$r/run/systemd/journal"
touch "$r/run/systemd/journal/flushed"
chroot "$r" /lib/systemd/systemd-journald &
journald=$!
for _ in $(seq 100); do
	[ -S "$r/run/systemd/journal/dev-log" ] && break
	sleep 0.05
done
[ -S "$r/run/systemd/journal/dev-log" ] || { echo "journald did not start" >&2; exit 1; }
while read -r facility tag pid msg; do
	id=()
	[ "$pid" = 0 ] || id=(--id="$pid")
	chroot "$r" logger -d -u /run/systemd/journal/dev-log -p "$facility.info" -t "$tag" "${id[@]}" -- "$msg"
done
# Everything sent is on disk once journald has synced and exited.
chroot "$r" journalctl --sync 2>/dev/null || true
kill -TERM "$journald"
wait "$journald" || true
umount -R "$r/sys"
umount "$r/run" "$r/proc"
