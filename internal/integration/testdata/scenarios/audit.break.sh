#!/usr/bin/env bash
# Breaks auditd in the tree in $1: read-only watches instead of write
# watches, mutable rules, a tiny backlog, audit logs and configuration
# readable by everyone, actions that silently lose records, tiny logs.
set -euo pipefail
root=${1:?usage: audit.break.sh TREE}
a=$root/etc/audit
[ -d "$a" ] || exit 0
cat >"$a/rules.d/zz-break.rules" <<'RULES'
-w /etc/passwd -p r -k identity
-a always,exit -F arch=b64 -S adjtimex -k time-change
-b 64
-e 1
RULES
chmod 0644 "$a/rules.d/zz-break.rules" "$a/auditd.conf"
sed -i -E \
	-e 's/^max_log_file_action *=.*/max_log_file_action = rotate/' \
	-e 's/^space_left_action *=.*/space_left_action = ignore/' \
	-e 's/^admin_space_left_action *=.*/admin_space_left_action = ignore/' \
	-e 's/^max_log_file *=.*/max_log_file = 1/' \
	-e 's/^num_logs *=.*/num_logs = 1/' \
	"$a/auditd.conf"
install -d "$root/var/log/audit"
touch "$root/var/log/audit/audit.log"
chmod 0644 "$root/var/log/audit/audit.log"
