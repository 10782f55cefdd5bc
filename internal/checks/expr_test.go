package checks

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

func exprTestTree(t testing.TB) *facts.Store {
	return prodTree(t, map[string]string{
		"etc/os-release":           "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
		"etc/passwd":               "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/bash\n",
		"etc/shadow":               "root:*:19000:0:99999:7:::\ndaemon:*:19000::::::\nalice:" + testHashStrong + ":19000:0:99999:7:::\n",
		"etc/group":                "root:x:0:\nsudo:x:27:alice\n",
		"etc/motd":                 "hello world\n",
		"home/alice/.bash_history": "ls\n",
		"etc/systemd/system/x.wants/telnet.socket": "",
	})
}

func TestExprEvaluate(t *testing.T) {
	tests := []struct {
		expr string
		want result.Status
		ev   string // substring of the evidence
	}{
		{`os.id == "debian"`, result.Pass, `os.id = "debian"`},
		{`os.id in ["rhel", "fedora"]`, result.Fail, `os.id = "debian"`},
		{`os.version_id == "12" && "debian" in os.id_like`, result.Fail, `os.id_like = []`},
		{`!accounts.by_name.root.password_usable`, result.Pass, `accounts.by_name.root.password_usable = false`},
		{`accounts.by_name["alice"].hash_scheme == "md5crypt"`, result.Pass, `accounts.by_name["alice"].hash_scheme = "md5crypt"`},
		{`accounts.users.all(u, u.uid != 0 || u.name == "root")`, result.Pass, `accounts.users = list of 3 items`},
		{`accounts.users.exists(u, u.empty_password)`, result.Fail, ""},
		{`accounts.users.filter(u, u.password_usable).size() == 1`, result.Pass, ""},
		{`accounts.by_name.root.uid < 1`, result.Pass, ""},
		{`"sudo" in accounts.groups.map(g, g.name)`, result.Pass, ""},
		{`file("/etc/motd").contains("hello")`, result.Pass, `file("/etc/motd") = "hello world\n"`},
		{`file_exists("/etc/motd") && !file_exists("/etc/nothing")`, result.Pass, `file_exists("/etc/nothing") = false`},
		{`file_mode("/etc/motd") <= 420 && file_mode("/etc/nothing") == -1`, result.Pass, ""},
		{`size(glob("/home/*/.*_history")) == 0`, result.Fail, ""},
		{`glob("/etc/systemd/system/*.wants/telnet.*") == ["/etc/systemd/system/x.wants/telnet.socket"]`, result.Pass, ""},
		{`glob("/nothing/*") == []`, result.Pass, ""},
		{`file("/etc/nothing") == ""`, result.Error, ""},
		{`file_exists("/etc/nothing") && file("/etc/nothing") == ""`, result.Fail, `file("/etc/nothing") = (absent)`},
		{`accounts.by_name.nobody.locked`, result.Error, ""},
		{`os.id`, result.Error, ""},
		{`[1,2,3].map(x, [1,2,3].map(y, [1,2,3,4,5,6,7,8,9,10].map(z, x*y*z))).size() > 0`, result.Pass, ""},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			c, err := exprTemplate{}.New(prodNode(t, "{expr: '"+strings.ReplaceAll(tt.expr, "'", "''")+"'}"))
			if err != nil {
				t.Fatal(err)
			}
			o := c.Evaluate(context.Background(), exprTestTree(t))
			var all []string
			for _, e := range o.Evidence {
				all = append(all, e.Observed)
			}
			if o.Status != tt.want {
				t.Fatalf("status %s (%s), want %s; evidence %q", o.Status, o.Reason, tt.want, all)
			}
			if !strings.Contains(strings.Join(all, "\n"), tt.ev) {
				t.Errorf("evidence %q lacks %q", all, tt.ev)
			}
		})
	}
}

func TestExprDuplicateFacts(t *testing.T) {
	c, err := exprTemplate{}.New(prodNode(t, `{facts: [os, os], expr: 'os.id == "debian"'}`))
	if err != nil {
		t.Fatal(err)
	}
	if o := c.Evaluate(context.Background(), exprTestTree(t)); o.Status != result.Pass {
		t.Errorf("%s %s", o.Status, o.Reason)
	}
}

func TestExprLazyFacts(t *testing.T) {
	c, err := exprTemplate{}.New(prodNode(t, `{expr: 'os.id == "debian"'}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.(*exprCheck).refs; len(got) != 1 || got[0] != "os" {
		t.Fatalf("refs = %v", got)
	}
	// A tree whose shadow file is a directory would make the accounts
	// collector fail; an os-only expression must not touch it.
	s := prodTree(t, map[string]string{"etc/os-release": "ID=debian\n", "etc/passwd/x": ""})
	if o := c.Evaluate(context.Background(), s); o.Status != result.Pass {
		t.Errorf("os-only expression: %s %s", o.Status, o.Reason)
	}
	c2, _ := exprTemplate{}.New(prodNode(t, `{expr: 'accounts.users.size() > 0'}`))
	if o := c2.Evaluate(context.Background(), s); o.Status != result.Error {
		t.Errorf("accounts over a broken passwd: %s", o.Status)
	}
}

func TestExprNoHashes(t *testing.T) {
	c, err := exprTemplate{}.New(prodNode(t, `{expr: 'accounts.users.size() == 0'}`))
	if err != nil {
		t.Fatal(err)
	}
	o := c.Evaluate(context.Background(), exprTestTree(t))
	for _, e := range o.Evidence {
		if strings.Contains(e.Observed, "$6$") {
			t.Fatalf("hash in evidence: %s", e.Observed)
		}
	}
	if o.Status != result.Fail {
		t.Errorf("status %s", o.Status)
	}
}

func TestExprLoadErrors(t *testing.T) {
	tests := []struct {
		args string
		line int
		msg  string
	}{
		{"{expr: 'os.id =='}", 1, "Syntax error"},
		{"{expr: 'os.id + 1 == 2 && undefined_var'}", 1, "undeclared reference"},
		{"{expr: '1 + 1'}", 1, "not bool"},
		{"{expr: 'file(1) == \"\"'}", 1, "found no matching overload"},
		{"facts: [os]\nexpr: 'accounts.users.size() > 0'", 2, "undeclared reference to 'accounts'"},
		{"expr: 'true'\nfacts: [nope]", 2, "unknown fact"},
		{"{expr: ''}", 1, "required"},
		{"{exp: 'true'}", 1, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			_, err := exprTemplate{}.New(prodNode(t, tt.args))
			var ae *check.ArgError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want an ArgError", err)
			}
			if ae.Line != tt.line || !strings.Contains(ae.Msg, tt.msg) {
				t.Errorf("line %d %q; want line %d containing %q", ae.Line, ae.Msg, tt.line, tt.msg)
			}
		})
	}
}

func TestExprCostLimit(t *testing.T) {
	expensive := `[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f, a+b+c+d+e+f > 0))))))`
	c, err := exprTemplate{}.New(prodNode(t, "{expr: '"+expensive+"'}"))
	if err != nil {
		t.Fatal(err)
	}
	o := c.Evaluate(context.Background(), exprTestTree(t))
	if o.Status != result.Error || !strings.Contains(o.Reason, "cost") {
		t.Errorf("status %s: %s", o.Status, o.Reason)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, _ = exprTemplate{}.New(prodNode(t, `{expr: 'file_exists("/etc/motd")'}`))
	if o := c.Evaluate(ctx, exprTestTree(t)); o.Status != result.Error {
		t.Errorf("cancelled: %s", o.Status)
	}
}

func TestExprGlobBounds(t *testing.T) {
	c, err := exprTemplate{}.New(prodNode(t, `{expr: 'glob("/../../*/motd") == ["/etc/motd"]'}`))
	if err != nil {
		t.Fatal(err)
	}
	if o := c.Evaluate(context.Background(), exprTestTree(t)); o.Status != result.Pass {
		t.Errorf("glob outside root: %s %s %+v", o.Status, o.Reason, o.Evidence)
	}
}

// FuzzExpr compiles and evaluates arbitrary expressions over a small fact
// set: whatever the input, no panic and one of pass, fail or error.
func FuzzExpr(f *testing.F) {
	for _, s := range []string{
		`os.id == "debian"`, `accounts.users.exists(u, u.uid == 0)`, `file("/etc/motd").contains("x")`,
		`size(glob("/*/*")) > 1`, `file_mode("/etc/motd") == 420`, `accounts.by_name.root.locked`,
		`"a".matches("(a+)+b")`, `[1].map(x, x / 0) == [1]`, `glob("[") == []`, `os.fields.x.y.z`,
		`accounts.users[0]["name"] == "root"`, `glob("/../*/../etc/*").size() > 0`,
	} {
		f.Add(s)
	}
	store := exprTestTree(f)
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4000 {
			return
		}
		c, err := compileExpr(src, exprSources)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		switch o := c.Evaluate(ctx, store); o.Status {
		case result.Pass, result.Fail, result.Error:
		default:
			t.Fatalf("status %q", o.Status)
		}
	})
}

// TestExprSourcesOnFixture evaluates every fact source on the debootstrap
// Debian 12 tree (CRADLE_TEST_ROOTFS), read only, and compares the
// top-level fields with the catalogue, so docs/facts.md stays true.
func TestExprSourcesOnFixture(t *testing.T) {
	dir := os.Getenv("CRADLE_TEST_ROOTFS")
	if dir == "" {
		t.Skip("CRADLE_TEST_ROOTFS not set")
	}
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	s := facts.NewStore(context.Background(), tg)
	for _, src := range exprSources {
		t.Run(src.Name, func(t *testing.T) {
			if src.Live {
				t.Skip("runtime fact")
			}
			v, err := src.collect(context.Background(), s)
			if err != nil {
				t.Fatalf("collect: %v", err)
			}
			checkShape(t, src, v)
		})
	}
	for _, expr := range []string{
		`os.id == "debian" && os.version_id.startsWith("12")`,
		`accounts.by_name.root.locked && !accounts.by_name.root.password_usable`,
		`sshd.installed && sshd.options.permitrootlogin == "prohibit-password"`,
		`systemd.units["ssh.service"] == "enabled"`,
		`"openssh-server" in packages.installed`,
		`size(sysctl.files) >= 0 && type(sysctl.persisted) == map`,
		`type(mounts.fstab) == list || mounts.fstab == null`,
	} {
		t.Run(expr, func(t *testing.T) {
			c, err := compileExpr(expr, exprSources)
			if err != nil {
				t.Fatal(err)
			}
			if o := c.Evaluate(context.Background(), s); o.Status != result.Pass {
				t.Errorf("%s: %s %+v", o.Status, o.Reason, o.Evidence)
			}
		})
	}
}

func TestExprRuntimeFacts(t *testing.T) {
	c, err := compileExpr(`netsock.listening.all(l, l.port != 23)`, exprSources)
	if err != nil {
		t.Fatal(err)
	}
	if o := c.Evaluate(context.Background(), exprTestTree(t)); o.Status != result.NotApplicable {
		t.Errorf("offline tree: %s %s", o.Status, o.Reason)
	}
	host, err := target.OpenHost()
	if err != nil {
		t.Skip(err)
	}
	defer host.Close()
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc/net/tcp here")
	}
	c, err = compileExpr(`type(netsock.listening) == list && kmodloaded != null`, exprSources)
	if err != nil {
		t.Fatal(err)
	}
	o := c.Evaluate(context.Background(), facts.NewStore(context.Background(), host))
	if o.Status != result.Pass && o.Status != result.Error {
		t.Errorf("live host: %s %s", o.Status, o.Reason)
	}
}

func TestExprAccountsPasswdField(t *testing.T) {
	s := prodTree(t, map[string]string{
		"etc/passwd": "root:x:0:0::/root:/bin/bash\nlegacy:" + testHashRoot + ":1003:1003::/home/legacy:/bin/bash\nghost:x:1004:1004::/:/bin/sh\n",
		"etc/shadow": "root:*:19000::::::\n",
	})
	for _, expr := range []string{
		`accounts.by_name.legacy.password_usable && accounts.by_name.legacy.password_file == "/etc/passwd"`,
		`accounts.by_name.legacy.hash_scheme == "sha512crypt" && !accounts.by_name.legacy.has_shadow`,
		`!accounts.by_name.ghost.password_usable && !("password_file" in accounts.by_name.ghost)`,
		`accounts.by_name.root.locked && accounts.by_name.root.password_file == "/etc/shadow"`,
	} {
		c, err := compileExpr(expr, exprSources)
		if err != nil {
			t.Fatal(err)
		}
		if o := c.Evaluate(context.Background(), s); o.Status != result.Pass {
			t.Errorf("%s: %s %s", expr, o.Status, o.Reason)
		}
	}
}

func TestExprApplies(t *testing.T) {
	tests := []struct {
		args string
		want result.Status
	}{
		{`{applies: 'os.id == "debian"', expr: 'file_exists("/etc/motd")'}`, result.Pass},
		{`{applies: 'os.id == "alpine"', expr: 'file_exists("/etc/motd")'}`, result.NotApplicable},
		{`{applies: 'file_exists("/etc/nothing")', expr: 'false'}`, result.NotApplicable},
		{`{applies: 'file("/etc/nothing") == ""', expr: 'true'}`, result.Error},
		{`{applies: 'accounts.by_name.root.locked', expr: 'os.id == "rhel"'}`, result.Fail},
		{`{applies: 'target.kind != "host"', expr: '!target.live && target.kind == "rootfs"'}`, result.Pass},
		{`{applies: 'target.kind == "host"', expr: 'true'}`, result.NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			c, err := exprTemplate{}.New(prodNode(t, tt.args))
			if err != nil {
				t.Fatal(err)
			}
			if o := c.Evaluate(context.Background(), exprTestTree(t)); o.Status != tt.want {
				t.Errorf("status %s (%s), want %s", o.Status, o.Reason, tt.want)
			}
		})
	}
	_, err := exprTemplate{}.New(prodNode(t, "expr: 'true'\napplies: '1'"))
	var ae *check.ArgError
	if !errors.As(err, &ae) || ae.Line != 2 || !strings.Contains(ae.Msg, "applies") {
		t.Errorf("bad applies: %v", err)
	}
	c, err := exprTemplate{}.New(prodNode(t, `{applies: 'sshd.installed', expr: 'os.id != ""'}`))
	if err != nil {
		t.Fatal(err)
	}
	if refs := c.(*exprCheck).refs; strings.Join(refs, ",") != "os,sshd" {
		t.Errorf("refs %v", refs)
	}
}

// The message explains a failure: it is on failing results only.
func TestExprMessageOnFailureOnly(t *testing.T) {
	tests := []struct {
		expr string
		want result.Status
	}{
		{`os.id == "debian"`, result.Pass},
		{`os.id == "rhel"`, result.Fail},
		{`file("/etc/nothing") == ""`, result.Error},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			c, err := exprTemplate{}.New(prodNode(t, "{expr: '"+strings.ReplaceAll(tt.expr, "'", "''")+"', message: the explanation}"))
			if err != nil {
				t.Fatal(err)
			}
			o := c.Evaluate(context.Background(), exprTestTree(t))
			if o.Status != tt.want {
				t.Fatalf("status %s (%s), want %s", o.Status, o.Reason, tt.want)
			}
			has := false
			for _, e := range o.Evidence {
				has = has || strings.Contains(e.Note, "the explanation")
			}
			if has != (tt.want == result.Fail) {
				t.Errorf("%s result carries the message: %v; evidence %+v", o.Status, has, o.Evidence)
			}
		})
	}
}
