package remedy

import (
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestChangesComposeAndOverlay(t *testing.T) {
	tg := targettest.Tree(t, map[string]string{
		"etc/ssh/sshd_config": "PermitRootLogin yes\nX11Forwarding yes\n",
		"etc/shadow":          "root:*:1::::::\n",
		"etc/alt":             "->/etc/ssh/sshd_config",
	})
	c := New(tg)
	c.Begin("r1", Meta{Disruption: "low"})
	b, err := c.ReadFile("/etc/alt")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteFile("/etc/alt", []byte(strings.Replace(string(b), "PermitRootLogin yes", "PermitRootLogin no", 1)), 0o600, "deny root"); err != nil {
		t.Fatal(err)
	}
	c.Begin("r2", Meta{})
	b, _ = c.ReadFile("etc/ssh/sshd_config")
	if err := c.WriteFile("etc/ssh/sshd_config", []byte(strings.Replace(string(b), "X11Forwarding yes", "X11Forwarding no", 1)), 0o600, "no x11"); err != nil {
		t.Fatal(err)
	}
	if err := c.Chmod("etc/shadow", 0o640, "tighten"); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteFile("etc/sysctl.d/99-cradle.conf", []byte("a = 1\n"), 0o644, "new"); err != nil {
		t.Fatal(err)
	}
	c.Begin("r3", Meta{})
	_ = c.Chmod("etc/shadow", 0o600, "x")
	c.Abort()

	ops := c.Ops()
	if len(ops) != 5 {
		t.Fatalf("ops = %d: %+v", len(ops), ops)
	}
	if ops[0].Path != "/etc/ssh/sshd_config" || !strings.Contains(ops[0].Diff, "+PermitRootLogin no") || strings.Contains(ops[0].Diff, "+X11Forwarding no") {
		t.Errorf("op0 = %+v", ops[0])
	}
	if !strings.Contains(ops[1].Diff, "-X11Forwarding yes") || strings.Contains(ops[1].Diff, "-PermitRootLogin yes") {
		t.Errorf("op1 diff = %s", ops[1].Diff)
	}
	ov := c.Overlay()
	fi, err := ov.Stat("etc/shadow")
	if err != nil || fi.Mode.Perm() != 0o640 {
		t.Errorf("overlay shadow = %v %v", fi.Mode, err)
	}
	if got, _ := target.ReadFile(ov, "etc/sysctl.d/99-cradle.conf"); string(got) != "a = 1\n" {
		t.Errorf("overlay new file = %q", got)
	}
	ents, _ := ov.ReadDir("etc")
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "alt,shadow,ssh,sysctl.d" {
		t.Errorf("readdir = %v", names)
	}
	fin := c.Final()
	var acts []string
	for _, pc := range fin {
		acts = append(acts, string(pc.Action)+":"+pc.Path)
	}
	if got := strings.Join(acts, " "); got != "mkdir:etc/sysctl.d meta:etc/shadow write:etc/ssh/sshd_config write:etc/sysctl.d/99-cradle.conf" {
		t.Errorf("final = %s", got)
	}
}

func TestUnifiedDiffNewFile(t *testing.T) {
	got := UnifiedDiff("/dev/null", "b/etc/x", nil, []byte("a\nb\n"))
	want := "--- /dev/null\n+++ b/etc/x\n@@ -0,0 +1,2 @@\n+a\n+b\n"
	if got != want {
		t.Fatalf("diff:\n%q\nwant\n%q", got, want)
	}
}
