package checks

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/result"
)

const (
	tPasswd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nsync:x:4:65534:sync:/bin:/bin/sync\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
	tGroup  = "root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\nalice:x:1000:\n"
	tShadow = "root:*:20000:0:99999:7:::\ndaemon:*:20000:0:99999:7:::\nsync:*:20000:0:99999:7:::\nalice:$y$j9T$salt$hash:20000:1:365:7:30::\n"
)

func acct(passwd, group, shadow string) map[string]any {
	m := map[string]any{"etc/passwd": passwd, "etc/group": group, "etc/login.defs": debianLoginDefs}
	if shadow != "" {
		m["etc/shadow"] = authFile{shadow, 0o640}
	}
	return m
}

func TestAccountProperty(t *testing.T) {
	good := acct(tPasswd, tGroup, tShadow)
	runAuthCases(t, accountPropertyTemplate{}, []authCase{
		{"uid0 pass", `{property: uid0_only_root}`, good, result.Pass, "no other account"},
		{"uid0 fail", `{property: uid0_only_root}`, acct(tPasswd+"toor:x:0:0::/root:/bin/sh\n", tGroup, tShadow), result.Fail, "user toor: UID 0"},
		{"uid0 exempt", `{property: uid0_only_root, exempt: [toor]}`, acct(tPasswd+"toor:x:0:0::/root:/bin/sh\n", tGroup, tShadow), result.Pass, ""},
		{"empty pass", `{property: no_empty_passwords}`, good, result.Pass, ""},
		{"empty in shadow", `{property: no_empty_passwords}`, acct(tPasswd, tGroup, tShadow+"x::1:::::\n"+"bob::20000::::::\n"), result.Pass, ""},
		{"empty fail", `{property: no_empty_passwords}`, acct(tPasswd+"bob:x:1001:1000::/home/bob:/bin/sh\n", tGroup, tShadow+"bob::20000::::::\n"), result.Fail, "user bob: empty password"},
		{"empty passwd field", `{property: no_empty_passwords}`, acct(tPasswd+"bob::1001:1000::/home/bob:/bin/sh\n", tGroup, tShadow), result.Fail, "empty password field in passwd"},
		{"shadow unreadable is error", `{property: no_empty_passwords}`, map[string]any{"etc/passwd": tPasswd, "etc/group": tGroup, "etc/shadow/": nil}, result.Error, "could not be read"},
		{"shadowed fail", `{property: shadowed_passwords}`, acct(tPasswd+"old:$1$s$h:1002:1000::/:/bin/sh\nnos:x:1003:1000::/:/bin/sh\n", tGroup, tShadow), result.Fail, "no entry in /etc/shadow"},
		{"dup uid", `{property: no_duplicate_uids}`, acct(tPasswd+"bob:x:1000:1000::/:/bin/sh\n", tGroup, tShadow), result.Fail, "UID 1000 already used by alice (line 4)"},
		{"dup name", `{property: no_duplicate_user_names}`, acct(tPasswd+"alice:x:1001:1000::/:/bin/sh\n", tGroup, tShadow), result.Fail, "already used by alice"},
		{"dup gid", `{property: no_duplicate_gids}`, acct(tPasswd, tGroup+"bobs:x:1000:\n", tShadow), result.Fail, "group bobs: GID 1000"},
		{"dup group name", `{property: no_duplicate_group_names}`, acct(tPasswd, tGroup+"alice:x:1001:\n", tShadow), result.Fail, "group alice"},
		{"groups exist fail", `{property: groups_exist}`, acct(tPasswd+"bob:x:1001:4242::/:/bin/sh\n", tGroup, tShadow), result.Fail, "GID 4242"},
		{"root gid0 fail", `{property: root_gid0}`, acct("root:x:0:1:root:/root:/bin/bash\n", tGroup, tShadow), result.Fail, "GID 1"},
		{"root protected locked", `{property: root_password_protected, schemes: [yescrypt]}`, good, result.Pass, "password disabled"},
		{"root protected md5", `{property: root_password_protected, schemes: [yescrypt, sha512crypt]}`, acct(tPasswd, tGroup, "root:$1$salt$hash:1:::::\n"), result.Fail, "md5crypt"},
		{"root protected empty", `{property: root_password_protected, schemes: [yescrypt]}`, acct(tPasswd, tGroup, "root::1:::::\n"), result.Fail, "password empty"},
		{"system nologin pass", `{property: system_accounts_nologin, exempt: [sync]}`, good, result.Pass, "UID_MIN from /etc/login.defs:7"},
		{"system nologin fail", `{property: system_accounts_nologin}`, good, result.Fail, "user sync: shell /bin/sync"},
		{"system nologin UID_MIN", `{property: system_accounts_nologin, exempt: [sync]}`,
			map[string]any{"etc/passwd": tPasswd, "etc/group": tGroup, "etc/login.defs": "UID_MIN 1001\n"}, result.Fail, "user alice"},
		{"system locked fail", `{property: system_accounts_locked}`, acct(tPasswd, tGroup, "daemon:$6$s$h:1:::::\n"), result.Fail, "user daemon: password hashed (sha512crypt)"},
		{"max days pass", `{property: password_max_days, value: 365}`, good, result.Pass, "1 accounts with a password"},
		{"max days fail", `{property: password_max_days, value: 90}`, good, result.Fail, "user alice: 365"},
		{"min days fail", `{property: password_min_days, value: 7}`, good, result.Fail, "user alice: 1"},
		{"warn days pass", `{property: password_warn_days, value: 7}`, good, result.Pass, ""},
		{"inactive unset", `{property: password_inactive, value: 30}`, acct(tPasswd, tGroup, "alice:$y$a$b:1:1:365:7:::\n"), result.Fail, "not set"},
		{"hashing fail", `{property: shadow_hashing, schemes: [yescrypt, sha512crypt]}`, acct(tPasswd, tGroup, tShadow+"x:!$1$a$b:1:::::\n"), result.Pass, ""},
		{"hashing locked md5", `{property: shadow_hashing, schemes: [yescrypt]}`, acct(tPasswd, tGroup, "daemon:!$1$a$b:1:::::\n"), result.Fail, "hash scheme md5crypt"},
		{"home missing", `{property: home_dirs}`, good, result.Fail, "/home/alice absent"},
		{"home mode", `{property: home_dirs, exempt: [root]}`, func() map[string]any {
			m := acct(tPasswd, tGroup, tShadow)
			m["home/alice/"] = nil
			return m
		}(), result.Fail, "mode 0755"},
		{"no accounts", `{property: uid0_only_root}`, map[string]any{}, result.NotApplicable, "no accounts"},
	})
	runArgErrors(t, accountPropertyTemplate{}, []string{
		`{property: nope}`,
		`{property: password_max_days}`,
		`{property: uid0_only_root, value: 3}`,
		`{property: shadow_hashing}`,
		`{property: uid0_only_root, max_mode: "0700"}`,
	})
}
