#!/usr/bin/env bash
# Breaks the PAM stacks of the (Debian) tree in $1: nullok kept, rhosts
# trust in login, MD5 hashing, weak pwquality settings.
set -euo pipefail
root=${1:?usage: pam.break.sh TREE}
pamd=$root/etc/pam.d
sec=$root/etc/security
[ -d "$pamd" ] || exit 0

grep -q 'pam_unix.so nullok' "$pamd/common-auth" ||
	sed -i -E 's/^(auth[[:space:]].*pam_unix\.so)/\1 nullok/' "$pamd/common-auth"
grep -q pam_rhosts "$pamd/login" || sed -i '1i auth       sufficient pam_rhosts.so' "$pamd/login"
sed -i -E '/^password.*pam_unix\.so/ { s/ (yescrypt|sha512)//g; / md5/! s/$/ md5/ }' "$pamd/common-password"
sed -i -E '/^password.*pam_pwquality\.so/ s/retry=[0-9]+/retry=5/' "$pamd/common-password"
grep -q '^dictcheck' "$sec/pwquality.conf" || echo 'dictcheck = 0' >>"$sec/pwquality.conf"
sed -i '/^enforce_for_root/d; /^minlen/d' "$sec/pwquality.conf"
# libpwquality reads pwquality.conf.d first and pwquality.conf last: the
# drop-in's long minlen is overridden by the main file's short one.
mkdir -p "$sec/pwquality.conf.d"
echo 'minlen = 20' >"$sec/pwquality.conf.d/50-site.conf"
echo 'minlen = 8' >>"$sec/pwquality.conf"
# A pseudo-terminal in securetty lets root log in directly over the network.
printf 'console\npts/0\n' >"$root/etc/securetty"
