package pam

import (
	"context"
	"reflect"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestParse(t *testing.T) {
	in := `#%PAM-1.0
# Debian common-auth
auth	[success=1 default=ignore]	pam_unix.so nullok
auth	requisite			pam_deny.so
-session   optional     pam_systemd.so
@include common-account
password   substack	system-auth
auth required pam_succeed_if.so user ingroup [wheel admins] \
    quiet
account [default=bad success=ok user_unknown=ignore] pam_sss.so
bogus line here
auth
`
	got := Parse([]byte(in), "/etc/pam.d/x")
	want := []Entry{
		{Type: "auth", Control: "[success=1 default=ignore]", Module: "pam_unix.so", Args: []string{"nullok"}, Line: 3},
		{Type: "auth", Control: "requisite", Module: "pam_deny.so", Line: 4},
		{Type: "session", Quiet: true, Control: "optional", Module: "pam_systemd.so", Line: 5},
		{Control: "@include", Module: "common-account", Line: 6},
		{Type: "password", Control: "substack", Module: "system-auth", Line: 7},
		{Type: "auth", Control: "required", Module: "pam_succeed_if.so", Args: []string{"user", "ingroup", "[wheel admins]", "quiet"}, Line: 8},
		{Type: "account", Control: "[default=bad success=ok user_unknown=ignore]", Module: "pam_sss.so", Line: 10},
	}
	for i := range want {
		want[i].File = "/etc/pam.d/x"
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", got, want)
	}
	if v, ok := got[0].Arg("nullok"); !ok || v != "" {
		t.Errorf("Arg(nullok) = %q, %v", v, ok)
	}
}

func tree(t *testing.T, files map[string]string) target.Target {
	t.Helper()
	return targettest.Tree(t, files)
}

func TestStackDebian(t *testing.T) {
	tg := tree(t, map[string]string{
		"etc/pam.d/sshd":            "@include common-auth\naccount required pam_nologin.so\n@include common-password\n",
		"etc/pam.d/common-auth":     "auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\n",
		"etc/pam.d/common-password": "password requisite pam_pwquality.so retry=3\npassword [success=1 default=ignore] pam_unix.so obscure yescrypt\n",
		"usr/lib/pam.d/vendor":      "auth required pam_permit.so\n",
		"usr/lib/pam.d/sshd":        "auth required pam_deny.so\n",
	})
	c, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := c.Stack("sshd", "auth")
	if err != nil {
		t.Fatal(err)
	}
	if len(auth) != 2 || auth[0].ModuleName() != "pam_unix.so" || auth[0].File != "/etc/pam.d/common-auth" || auth[0].Via[0] != "sshd" {
		t.Fatalf("auth stack %+v", auth)
	}
	pw, _ := c.Stack("sshd", "password")
	if len(pw) != 2 || pw[0].ModuleName() != "pam_pwquality.so" {
		t.Fatalf("password stack %+v", pw)
	}
	if v, _ := c.Stack("vendor", "auth"); len(v) != 1 || v[0].File != "/usr/lib/pam.d/vendor" {
		t.Fatalf("vendor fallback %+v", v)
	}
	if _, err := c.Stack("nope", "auth"); err == nil {
		t.Fatal("missing service: want error")
	}
}

func TestStackRHELAndLoops(t *testing.T) {
	tg := tree(t, map[string]string{
		"etc/pam.d/login":       "auth substack system-auth\nauth include postlogin\naccount include system-auth\n",
		"etc/pam.d/system-auth": "auth required pam_env.so\nauth sufficient pam_unix.so nullok\naccount required pam_unix.so\n",
		"etc/pam.d/postlogin":   "session optional pam_umask.so silent\n",
		"etc/pam.d/a":           "auth include b\n",
		"etc/pam.d/b":           "auth include a\n",
	})
	c, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := c.Stack("login", "auth")
	if err != nil {
		t.Fatal(err)
	}
	if len(auth) != 2 || auth[1].ModuleName() != "pam_unix.so" {
		t.Fatalf("auth stack %+v", auth)
	}
	if _, err := c.Stack("a", "auth"); err == nil {
		t.Fatal("include loop: want error")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("auth [success=1 default=ignore] pam_unix.so nullok\n@include common-auth\n"))
	f.Add([]byte("-session optional pam_systemd.so\nauth required pam_x.so [a\\] b] \\\n c\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, e := range Parse(b, "/f") {
			if e.Module == "" || e.Line < 1 {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}

// TestDebianRootFS resolves the stacks of the Debian 12 debootstrap tree
// (CRADLE_TEST_ROOTFS) as shipped.
func TestDebianRootFS(t *testing.T) {
	tg := targettest.Fixture(t)
	c, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := c.Stack("sshd", "auth")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range auth {
		if e.ModuleName() == "pam_unix.so" && e.File == "/etc/pam.d/common-auth" {
			if _, ok := e.Arg("nullok"); ok {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("sshd auth stack lacks common-auth's pam_unix.so nullok: %+v", auth)
	}
	for _, svc := range c.Services() {
		if _, err := c.Stack(svc, ""); err != nil {
			t.Errorf("%s: %v", svc, err)
		}
	}
}
