#!/usr/bin/env bash
# Hardens the PAM stacks of the (Debian) tree in $1: no nullok, password
# quality and history, faillock in common-auth with its configuration, su
# restricted to wheel.
set -euo pipefail
root=${1:?usage: pam.harden.sh TREE}
pamd=$root/etc/pam.d
sec=$root/etc/security
[ -d "$pamd" ] || exit 0

sed -i -E '/pam_unix\.so/ s/[[:space:]]+nullok\b//' "$pamd/common-auth" "$pamd/common-password"

if ! grep -q pam_faillock "$pamd/common-auth"; then
	cat >"$pamd/common-auth" <<'PAM'
# Authentication with lock-out after repeated failures.
auth	requisite			pam_faillock.so preauth
auth	[success=1 default=ignore]	pam_unix.so
auth	[default=die]			pam_faillock.so authfail
auth	sufficient			pam_faillock.so authsucc
auth	requisite			pam_deny.so
auth	required			pam_permit.so
PAM
fi
if ! grep -q pam_pwhistory "$pamd/common-password"; then
	sed -i -E 's/^(password[[:space:]]+\[success=1 default=ignore\][[:space:]]+pam_unix\.so.*)$/password\trequired\t\t\tpam_pwhistory.so use_authtok\n\1/' "$pamd/common-password"
fi
sed -i -E 's/^# auth +required +pam_wheel\.so$/auth       required   pam_wheel.so use_uid/' "$pamd/su"

set_kv() { # file key value
	if grep -qE "^[#[:space:]]*$2[[:space:]]*=" "$1"; then
		sed -i -E "s|^[#[:space:]]*$2[[:space:]]*=.*|$2 = $3|" "$1"
	else
		echo "$2 = $3" >>"$1"
	fi
}
set_kv "$sec/pwquality.conf" minlen 14
set_kv "$sec/pwquality.conf" dictcheck 1
grep -qE '^enforce_for_root' "$sec/pwquality.conf" || echo enforce_for_root >>"$sec/pwquality.conf"
set_kv "$sec/faillock.conf" deny 5
set_kv "$sec/faillock.conf" unlock_time 900
cat >"$sec/pwhistory.conf" <<'CONF'
# Password history for pam_pwhistory.
remember = 5
enforce_for_root
CONF
chmod 0644 "$sec/pwhistory.conf"
set_kv "$sec/pwquality.conf" minclass 3
set_kv "$sec/pwquality.conf" maxrepeat 3
set_kv "$sec/pwquality.conf" difok 5
# A longer delay after a failed console login; root only on local consoles.
sed -i -E 's/(pam_faildelay\.so[[:space:]]+delay=)[0-9]+/\14000000/' "$pamd/login"
grep -q pam_securetty "$pamd/login" || sed -i '1i auth       requisite  pam_securetty.so' "$pamd/login"
printf 'console\ntty1\n' >"$root/etc/securetty"
chmod 0600 "$root/etc/securetty"
set_kv "$sec/pwquality.conf" dcredit -1
set_kv "$sec/pwquality.conf" ucredit -1
set_kv "$sec/pwquality.conf" lcredit -1
set_kv "$sec/pwquality.conf" ocredit -1
grep -qE "^even_deny_root" "$sec/faillock.conf" || echo even_deny_root >>"$sec/faillock.conf"
sed -i -E 's/^(session[[:space:]]+optional[[:space:]]+pam_lastlog\.so)$/\1 showfailed/' "$pamd/login"
