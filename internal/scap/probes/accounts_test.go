package probes

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestPasswordShadow(t *testing.T) {
	tg := targettest.Tree(t, map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/bash\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\nbob::1000:1000::/home/bob:/bin/sh\n",
		"etc/shadow": "root:$6$salt$hash:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\nbob::19000::::::\n",
	})
	c := collect(t, tg, object("password", nil, ent("username", "pattern match", ".*")))
	equal(t, "users", field(c, "username"), "bin", "bob", "root")
	c = collect(t, tg, object("password", nil, ent("username", "bob")))
	equal(t, "empty password", field(c, "password"), "")
	equal(t, "shell", field(c, "login_shell"), "/bin/sh")

	c = collect(t, tg, object("shadow", nil, ent("username", "root")))
	equal(t, "chg_req", field(c, "chg_req"), "99999")
	equal(t, "method", field(c, "encrypt_method"), "SHA-512")
	c = collect(t, tg, object("shadow", nil, ent("username", "bob")))
	equal(t, "empty hash", field(c, "password"), "")
	equal(t, "empty chg_req left out", field(c, "chg_req"), "")
}
