#!/usr/bin/env bash
# Checks that the appliance tree ROOT still does what its users rely on.
# Run by appliance_test.go inside `unshare --mount --net --pid --uts --ipc
# --fork`: the tree is mounted read-only under an overlay (everything the
# checks write — sshd's runtime files, sudo's timestamps, a changed
# password — lands in SCRATCH, never in ROOT), gets a fresh /run and /proc
# as on boot, and its own sshd serves the private network namespace's
# loopback only.
#
# Usage: check.sh ROOT SCRATCH KEYDIR ADMIN_PASSWORD
# Prints one line per result:
#   check NAME ok|fail DETAIL   a check (DETAIL: what failed)
#   unit NAME                   an enabled unit file
set -uo pipefail
root=$1 scratch=$2 keys=$3 password=$4
newpw='Tq7#vWm2!pLx9&Rb-harbour'

mkdir -p "$scratch/upper" "$scratch/work" "$scratch/m"
mount -t overlay overlay -o "lowerdir=$root,upperdir=$scratch/upper,workdir=$scratch/work" "$scratch/m" || exit 2
m=$scratch/m
mount -t proc proc "$m/proc" || exit 2
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$m/run" || exit 2
ip link set lo up || exit 2
hostname "$(cat "$m/etc/hostname" 2>/dev/null || echo appliance)"

result() { # name status detail...
	local name=$1 st=$2
	shift 2
	printf 'check %s %s %s\n' "$name" "$st" "$(printf '%s' "$*" | tr '\n' ' ' | cut -c1-300)"
}

# run NAME CMD...: ok when CMD exits 0; the detail is its output.
run() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		result "$name" ok ""
	else
		result "$name" fail "exit $?: $out"
	fi
}

in_tree() { chroot "$m" "$@"; }

ssh_as() { # user cmd...
	local user=$1
	shift
	ssh -F /dev/null -i "$keys/$user" -o BatchMode=yes -o IdentitiesOnly=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-o ConnectTimeout=5 "$user@127.0.0.1" "$@"
}

# sshd exactly as ssh.service starts it: RuntimeDirectory, ExecStartPre,
# ExecStart (plus -e so its log reaches this test).
mkdir -m 0755 "$m/run/sshd"
run sshd.config_test in_tree /usr/sbin/sshd -t
in_tree /usr/sbin/sshd -D -e 2>"$scratch/sshd.log" &
sshd=$!
up=no
for _ in $(seq 200); do # up to 20 s on a loaded machine
	if (exec 3<>/dev/tcp/127.0.0.1/22) 2>/dev/null; then
		up=yes
		break
	fi
	kill -0 "$sshd" 2>/dev/null || break
	sleep 0.1
done
if [ "$up" = yes ]; then result sshd.start ok ""; else result sshd.start fail "$(tail -5 "$scratch/sshd.log")"; fi

for u in admin cloud ops; do
	run "ssh.key_login.$u" ssh_as "$u" true
done
run sudo.nopasswd_all.cloud ssh_as cloud sudo -n true
run sudo.nopasswd_rule.ops ssh_as ops sudo -n -l /usr/bin/systemctl restart nginx
sudo_password() { printf '%s\n' "$password" | ssh_as admin sudo -S -k -p '' true; }
run sudo.password.admin sudo_password
# The ops cron job, as cron runs it: no terminal, no SSH.
run sudo.cron_rule.ops in_tree runuser -u ops -- sudo -n -l /usr/bin/systemctl restart nginx
listing() {
	in_tree sudo -l -U ops | grep -q 'NOPASSWD: /usr/bin/systemctl restart nginx'
}
run sudo.listing.ops listing

for u in root admin cloud ops postgres; do
	run "pam.acct_mgmt.$u" in_tree pamtester sshd "$u" acct_mgmt
done
run pam.acct_mgmt_cron.ops in_tree pamtester cron ops acct_mgmt
run su.service_account.postgres in_tree su - postgres -c true
run visudo.check in_tree visudo -c
run nginx.config_test in_tree nginx -t -q

# pam_faillock, where configured: as many failed logins as lock the
# account (deny, 3 unless set), each followed by a successful one, must
# not add up to a lock (the account stack resets the count).
faillock() {
	local deny
	grep -qs pam_faillock "$m"/etc/pam.d/common-auth "$m"/etc/pam.d/sshd || return 0
	deny=$(sed -n 's/^[[:space:]]*auth.*pam_faillock\.so.*deny=\([0-9]\{1,2\}\).*/\1/p' "$m"/etc/pam.d/common-auth "$m"/etc/pam.d/sshd | tail -1)
	[ -n "$deny" ] || deny=$(sed -n 's/^[[:space:]]*deny[[:space:]]*=[[:space:]]*\([0-9]\{1,2\}\).*/\1/p' "$m/etc/security/faillock.conf" 2>/dev/null | tail -1)
	for _ in $(seq "${deny:-3}"); do
		printf 'wrong-password\n' | in_tree pamtester sshd admin authenticate >/dev/null 2>&1
		printf '%s\n' "$password" | in_tree pamtester sshd admin authenticate acct_mgmt || return 1
	done
}
run pam.faillock_reset.admin faillock

# auditd must not stop the system (single, halt) when the disk fills and
# /var/log/audit is not a filesystem of its own.
auditd_actions() {
	local c="$m/etc/audit/auditd.conf" bad
	awk '$2 == "/var/log/audit" { f = 1 } END { exit !f }' "$m/etc/fstab" 2>/dev/null && return 0
	bad=$(grep -Ei '^[[:space:]]*(admin_space_left_action|disk_full_action|disk_error_action)[[:space:]]*=[[:space:]]*(single|halt)' "$c")
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}
run auditd.disk_full_keeps_running auditd_actions

# The container's own setuid programs.
nested() {
	local f bad=""
	for f in sudo su passwd chsh newgrp; do
		[ -u "$m/var/lib/lxc/web/rootfs/usr/bin/$f" ] || bad="$bad $f"
	done
	[ -z "$bad" ] || { echo "not setuid:$bad"; return 1; }
}
run nested.setuid nested

# Password changes last: the checks above log in with the old password.
# By the administrator through passwd over SSH, then by root for each
# account.
passwd_self() { printf '%s\n%s\n%s\n' "$password" "$newpw" "$newpw" | ssh_as admin passwd; }
run pam.passwd_self.admin passwd_self
for u in root admin cloud; do
	run "pam.chauthtok.$u" sh -c 'printf "%s\n%s\n" "$1" "$1" | chroot "$2" pamtester passwd "$3" chauthtok' sh "$newpw" "$m" "$u"
done

in_tree systemctl list-unit-files --state=enabled --no-legend --no-pager | awk '{ print "unit " $1 }'

kill "$sshd" 2>/dev/null
wait "$sshd" 2>/dev/null
exit 0
