#!/usr/bin/env bash
# Breaks the account database of the tree in $1: a UID 0 alias with an
# empty password, duplicate IDs and names, an unshadowed MD5 password, a
# dangling primary group, a weakly hashed root, system accounts with shells
# and passwords, an interactive user without aging or home; weak login.defs.
set -euo pipefail
root=${1:?usage: accounts.break.sh TREE}
etc=$root/etc

add() { # file name line
	grep -q "^$2:" "$etc/$1" || echo "$3" >>"$etc/$1"
}
add passwd toor 'toor:x:0:0:root alias:/root:/bin/bash'
add shadow toor 'toor::20000:0:99999:7:::'
add passwd bob 'bob:x:1001:1001:Bob:/home/bob:/bin/bash'
add shadow bob 'bob:!:20000:0:99999:7:::'
grep -q '^bob:x:1001:1001:Bob duplicate' "$etc/passwd" || echo 'bob:x:1001:1001:Bob duplicate:/home/bob:/bin/bash' >>"$etc/passwd"
add group bob 'bob:x:1001:'
grep -q '^bob:x:1002:' "$etc/group" || echo 'bob:x:1002:' >>"$etc/group"
add group bobs 'bobs:x:1001:'
add passwd legacy 'legacy:$1$cradle$0123456789abcdefghijkl:1003:4242:unshadowed:/nonexistent:/usr/sbin/nologin'
add passwd carol 'carol:x:1004:1004:Carol:/home/carol:/bin/bash'
add group carol 'carol:x:1004:'
add shadow carol 'carol:$6$cradlecarol$PNMAWQlhMVPBS/HADu0QxwJxqq3Adc6jmNq4nY4gqlfSr7I0d0MwIUgynnlOlUUtWXkpc8MyYHC8m64Ktm/9i/:20000:0:99999:0:::'

# root: primary group 1, MD5-hashed password.
sed -i -E 's/^root:x:0:0:/root:x:0:1:/' "$etc/passwd"
sed -i -E 's/^root:[^:]*:/root:$1$cradle$abcdefghijklmnopqrstuv:/' "$etc/shadow"
# System accounts: a login shell, a usable password.
sed -i -E 's#^(daemon:x:1:1:[^:]*:[^:]*:).*#\1/bin/bash#' "$etc/passwd"
sed -i -E 's/^bin:[^:]*:/bin:$6$cradle$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopq:/' "$etc/shadow"

sed -i -E \
	-e 's/^PASS_MAX_DAYS[[:space:]].*/PASS_MAX_DAYS\t99999/' \
	-e 's/^PASS_MIN_DAYS[[:space:]].*/PASS_MIN_DAYS\t0/' \
	-e 's/^PASS_WARN_AGE[[:space:]].*/PASS_WARN_AGE\t0/' \
	-e 's/^UMASK[[:space:]].*/UMASK\t\t022/' \
	-e 's/^ENCRYPT_METHOD[[:space:]].*/ENCRYPT_METHOD MD5/' \
	"$etc/login.defs"
sed -i '/^INACTIVE=/d' "$etc/default/useradd"

# A loose umask for login shells; root's PATH with the current directory
# and a group-writable directory.
echo 'umask 002' >"$etc/profile.d/cradle-loose.sh"
install -d -m 0775 "$root/usr/local/tools"
grep -q 'usr/local/tools' "$root/root/.bashrc" || echo 'export PATH="$PATH:.:/usr/local/tools"' >>"$root/root/.bashrc"
