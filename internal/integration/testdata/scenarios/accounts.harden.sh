#!/usr/bin/env bash
# Hardens the account database and shadow-utils defaults of the tree in $1:
# one interactive user with a strong hash, password aging and a private
# home; login.defs aging, hashing and umask; useradd inactivity lock.
set -euo pipefail
root=${1:?usage: accounts.harden.sh TREE}
etc=$root/etc

grep -q '^alice:' "$etc/passwd" || echo 'alice:x:1000:1000:Alice:/home/alice:/bin/bash' >>"$etc/passwd"
grep -q '^alice:' "$etc/group" || echo 'alice:x:1000:' >>"$etc/group"
grep -q '^alice:' "$etc/gshadow" || echo 'alice:!::' >>"$etc/gshadow"
# A SHA-512 crypt hash of a random, unpublished-quality password; aging within policy.
grep -q '^alice:' "$etc/shadow" ||
	echo 'alice:$6$cradlefixture$1UeZU5ExpXHJ/i3BTTnMa0fCyROrq5MwSlH/oGKoL1OssbVFBjdbAiqidLe9BQpyCAubafF4LPxCm0hlsuSLl0:20000:1:365:7:30::' >>"$etc/shadow"
install -d -m 0700 -o 1000 -g 1000 "$root/home/alice"

sed -i -E \
	-e 's/^PASS_MAX_DAYS[[:space:]].*/PASS_MAX_DAYS\t365/' \
	-e 's/^PASS_MIN_DAYS[[:space:]].*/PASS_MIN_DAYS\t1/' \
	-e 's/^PASS_WARN_AGE[[:space:]].*/PASS_WARN_AGE\t14/' \
	-e 's/^UMASK[[:space:]].*/UMASK\t\t027/' \
	-e 's/^ENCRYPT_METHOD[[:space:]].*/ENCRYPT_METHOD YESCRYPT/' \
	"$etc/login.defs"

if grep -q '^INACTIVE=' "$etc/default/useradd"; then
	sed -i 's/^INACTIVE=.*/INACTIVE=30/' "$etc/default/useradd"
else
	echo 'INACTIVE=30' >>"$etc/default/useradd"
fi

grep -q '^FAIL_DELAY' "$etc/login.defs" || echo 'FAIL_DELAY		4' >>"$etc/login.defs"
printf '# Concurrent logins per user.\n*\thard\tmaxlogins\t10\n' >"$etc/security/limits.d/cradle-maxlogins.conf"
grep -q '^umask 027' "$etc/profile" || echo 'umask 027' >>"$etc/profile"
grep -q '^umask 027' "$etc/bash.bashrc" || echo 'umask 027' >>"$etc/bash.bashrc"
printf '# Log idle shells out.\nTMOUT=900\nreadonly TMOUT\nexport TMOUT\n' >"$etc/profile.d/tmout.sh"
