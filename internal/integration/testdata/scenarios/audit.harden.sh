#!/usr/bin/env bash
# Hardens auditd in the tree in $1: the audit rule set (identity, sudoers,
# time, network identity, MAC policy, logins, sessions, permission
# changes, denied access, mounts, deletions, modules, every setuid/setgid
# program), immutable rules and auditd.conf actions and log sizes.
set -euo pipefail
root=${1:?usage: audit.harden.sh TREE}
a=$root/etc/audit
[ -d "$a" ] || exit 0
install -d -m 0750 "$a/rules.d"
cat >"$a/rules.d/50-cradle.rules" <<'RULES'
## Identity and privilege
-w /etc/passwd -p wa -k identity
-w /etc/group -p wa -k identity
-w /etc/shadow -p wa -k identity
-w /etc/gshadow -p wa -k identity
-w /etc/security/opasswd -p wa -k identity
-w /etc/sudoers -p wa -k scope
-w /etc/sudoers.d -p wa -k scope
## Time
-a always,exit -F arch=b64 -S adjtimex,settimeofday,clock_settime -k time-change
-a always,exit -F arch=b32 -S adjtimex,settimeofday,clock_settime,stime -k time-change
-w /etc/localtime -p wa -k time-change
## Network identity
-a always,exit -F arch=b64 -S sethostname,setdomainname -k system-locale
-a always,exit -F arch=b32 -S sethostname,setdomainname -k system-locale
-w /etc/issue -p wa -k system-locale
-w /etc/issue.net -p wa -k system-locale
-w /etc/hosts -p wa -k system-locale
-w /etc/hostname -p wa -k system-locale
## MAC policy
-w /etc/apparmor/ -p wa -k MAC-policy
-w /etc/apparmor.d/ -p wa -k MAC-policy
## Logins and sessions
-w /var/log/lastlog -p wa -k logins
-w /var/run/faillock -p wa -k logins
-w /var/run/utmp -p wa -k session
-w /var/log/wtmp -p wa -k session
-w /var/log/btmp -p wa -k session
## Permission changes
-a always,exit -F arch=b64 -S chmod,fchmod,fchmodat -F auid>=1000 -F auid!=unset -k perm_mod
-a always,exit -F arch=b32 -S chmod,fchmod,fchmodat -F auid>=1000 -F auid!=unset -k perm_mod
-a always,exit -F arch=b64 -S chown,fchown,fchownat,lchown -F auid>=1000 -F auid!=unset -k perm_mod
-a always,exit -F arch=b32 -S chown,fchown,fchownat,lchown -F auid>=1000 -F auid!=unset -k perm_mod
-a always,exit -F arch=b64 -S setxattr,lsetxattr,fsetxattr,removexattr,lremovexattr,fremovexattr -F auid>=1000 -F auid!=-1 -k perm_mod
-a always,exit -F arch=b32 -S setxattr,lsetxattr,fsetxattr,removexattr,lremovexattr,fremovexattr -F auid>=1000 -F auid!=4294967295 -k perm_mod
## Denied access
-a always,exit -F arch=b64 -S creat,open,openat,truncate,ftruncate -F exit=-EACCES -F auid>=1000 -F auid!=unset -k access
-a always,exit -F arch=b32 -S creat,open,openat,truncate,ftruncate -F exit=-EACCES -F auid>=1000 -F auid!=unset -k access
-a always,exit -F arch=b64 -S creat,open,openat,truncate,ftruncate -F exit=-EPERM -F auid>=1000 -F auid!=unset -k access
-a always,exit -F arch=b32 -S creat,open,openat,truncate,ftruncate -F exit=-EPERM -F auid>=1000 -F auid!=unset -k access
## Mounts and deletions
-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mounts
-a always,exit -F arch=b32 -S mount -F auid>=1000 -F auid!=unset -k mounts
-a always,exit -F arch=b64 -S unlink,unlinkat,rename,renameat -F auid>=1000 -F auid!=unset -k delete
-a always,exit -F arch=b32 -S unlink,unlinkat,rename,renameat -F auid>=1000 -F auid!=unset -k delete
## Kernel modules
-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k modules
RULES
# Execution of every setuid/setgid program by a logged-in user.
{
	echo '## Privileged programs'
	(cd "$root" && find . \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./run \) -prune -o \
		-type f -perm /6000 -print) | sed 's|^\.||' | LC_ALL=C sort |
		while read -r p; do
			echo "-a always,exit -F path=$p -F perm=x -F auid>=1000 -F auid!=unset -k privileged"
		done
} >"$a/rules.d/50-privileged.rules"
chmod 0640 "$a/rules.d/50-privileged.rules"
printf '## Lock the rules until reboot.\n-e 2\n' >"$a/rules.d/99-finalize.rules"
chmod 0640 "$a/rules.d/50-cradle.rules" "$a/rules.d/99-finalize.rules"
sed -i -E \
	-e 's/^max_log_file_action *=.*/max_log_file_action = keep_logs/' \
	-e 's/^space_left_action *=.*/space_left_action = email/' \
	-e 's/^admin_space_left_action *=.*/admin_space_left_action = single/' \
	-e 's/^disk_full_action *=.*/disk_full_action = halt/' \
	-e 's/^disk_error_action *=.*/disk_error_action = syslog/' \
	-e 's/^max_log_file *=.*/max_log_file = 32/' \
	-e 's/^num_logs *=.*/num_logs = 10/' \
	"$a/auditd.conf"
