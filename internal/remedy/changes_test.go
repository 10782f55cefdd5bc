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
	if p, ok := ov.(interface{ Planned() bool }); !ok || !p.Planned() {
		t.Error("the overlay does not say it is a planned state")
	}
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

func TestShadowDiffRedacted(t *testing.T) {
	tg := targettest.Tree(t, map[string]string{
		"etc/shadow": "root:$y$j9T$SALT$SECRET:19000:0:99999:7:::\nalice:$6$salt$HASH:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n",
	})
	c := New(tg)
	c.Begin("r", Meta{})
	b, _ := c.ReadFile("etc/shadow")
	nb := strings.Replace(string(b), "alice:$6$salt$HASH:19000:0:99999", "alice:!$6$salt$HASH:19000:0:365", 1)
	if err := c.WriteFile("etc/shadow", []byte(nb), 0o640, "age"); err != nil {
		t.Fatal(err)
	}
	d := c.Ops()[0].Diff
	if strings.Contains(d, "SECRET") || strings.Contains(d, "HASH") || strings.Contains(d, "SALT") {
		t.Fatalf("hash leaked into diff:\n%s", d)
	}
	if !strings.Contains(d, "-alice:<hash>:19000:0:99999") || !strings.Contains(d, "+alice:!<hash>:19000:0:365") || !strings.Contains(d, "bin:*:") {
		t.Fatalf("diff:\n%s", d)
	}
}

func TestCreateBelowSymlinkedParent(t *testing.T) {
	tg := targettest.Tree(t, map[string]string{
		"usr/lib/keep":  "",
		"lib":           "->usr/lib",
		"etc/a":         "->../usr/share/x",
		"usr/share/x/b": "old\n",
	})
	c := New(tg)
	c.Begin("r", Meta{})
	if err := c.WriteFile("lib/newdir/x.conf", []byte("x\n"), 0o644, "new"); err != nil {
		t.Fatalf("merged /usr: %v", err)
	}
	if err := c.Symlink("lib/other/y", "/dev/null", "mask"); err != nil {
		t.Fatalf("symlink below merged /usr: %v", err)
	}
	var got []string
	for _, pc := range c.Final() {
		got = append(got, string(pc.Action)+":"+pc.Path)
	}
	if s := strings.Join(got, " "); s != "mkdir:usr/lib/newdir mkdir:usr/lib/other write:usr/lib/newdir/x.conf symlink:usr/lib/other/y" {
		t.Fatalf("final = %s", s)
	}
	// A symlink is never turned into a directory (writing below it would
	// go through the old link when applied).
	c.Begin("r2", Meta{})
	if err := c.Remove("etc/a", "drop link"); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteFile("etc/a/b", []byte("new\n"), 0o644, "x"); err == nil || !strings.Contains(err.Error(), "cannot replace a symlink") {
		t.Fatalf("write below a removed symlink: %v", err)
	}
}

func TestSysctlPathVLAN(t *testing.T) {
	c := New(targettest.Tree(t, map[string]string{"etc/x": ""}))
	c.Begin("r", Meta{})
	c.Sysctl("net.ipv4.conf.eth0/100.rp_filter", "1", "0", "set")
	if p := c.Ops()[0].Path; p != "/proc/sys/net/ipv4/conf/eth0.100/rp_filter" {
		t.Fatalf("path = %s", p)
	}
}

// Final records what the plan saw at each path, for the journal to
// compare before it changes anything: a content digest only where the
// change replaces or removes content.
func TestFinalRecordsSeenState(t *testing.T) {
	dir := targettest.Dir(t, map[string]string{
		"etc/a.conf":   "alpha\n",
		"etc/shadow":   "root:*:1::::::\n",
		"etc/old.conf": "old\n",
	})
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := New(tg)
	c.Begin("r", Meta{})
	for _, err := range []error{
		c.WriteFile("etc/a.conf", []byte("beta\n"), 0o644, "w"),
		c.Chmod("etc/shadow", 0o600, "m"),
		c.Remove("etc/old.conf", "rm"),
		c.WriteFile("etc/new.conf", []byte("new\n"), 0o644, "n"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	id, err := c.Root()
	if err != nil || id.Ino == 0 {
		t.Errorf("root = %+v, %v", id, err)
	}
	// The digests were taken while planning: the tree is not read again.
	tg.Close()
	seen := map[string]Seen{}
	for _, pc := range c.Final() {
		seen[pc.Path] = pc.Seen
	}
	if s := seen["etc/a.conf"]; !s.Exists || s.Type != 0 || s.SHA256 != Digest([]byte("alpha\n")) {
		t.Errorf("write: %+v", s)
	}
	if s := seen["etc/old.conf"]; !s.Exists || s.SHA256 != Digest([]byte("old\n")) {
		t.Errorf("remove: %+v", s)
	}
	if s := seen["etc/shadow"]; !s.Exists || s.SHA256 != "" || s.Mode.Perm() == 0 {
		t.Errorf("chmod: %+v (a metadata change needs no digest)", s)
	}
	if s := seen["etc/new.conf"]; s.Exists {
		t.Errorf("new file: %+v", s)
	}
}

// TestEffectsAttachToTheirItems plans one directory per account, each
// followed by its account's effect: every op carries only its own
// account's effect (not those of every later account, which made the
// plan and its preflight quadratic), and an effect repeated without new
// ops goes to the same ops once.
func TestEffectsAttachToTheirItems(t *testing.T) {
	c := New(targettest.Tree(t, map[string]string{"home/.keep": ""}))
	c.Begin("r", Meta{})
	for _, u := range []string{"a", "b", "c"} {
		if err := c.Mkdir("home/"+u, 0o750, 1000, 1000, "create /home/"+u); err != nil {
			t.Fatal(err)
		}
		c.Effect(Effect{Kind: EffectAccountChange, Subject: u})
		c.Effect(Effect{Kind: EffectPermissions, Subject: "/home/" + u})
		c.Effect(Effect{Kind: EffectAccountChange, Subject: u})
	}
	ops := c.Ops()
	if len(ops) != 3 {
		t.Fatalf("ops = %+v", ops)
	}
	for i, u := range []string{"a", "b", "c"} {
		want := []Effect{{Kind: EffectAccountChange, Subject: u}, {Kind: EffectPermissions, Subject: "/home/" + u}}
		if got := ops[i].Effects; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("op %d (%s) effects = %+v, want %+v", i, ops[i].Path, got, want)
		}
	}
}

// TestAbortRestoresTouchedNodes: a rule's nodes are saved when it first
// touches them, so Abort restores a changed node, forgets one the rule
// created, and leaves other rules' nodes alone.
func TestAbortRestoresTouchedNodes(t *testing.T) {
	c := New(targettest.Tree(t, map[string]string{"etc/a": "a\n", "etc/b": "b\n"}))
	c.Begin("r1", Meta{})
	if err := c.Chmod("etc/a", 0o600, "a"); err != nil {
		t.Fatal(err)
	}
	c.Begin("r2", Meta{})
	if err := c.Chmod("etc/a", 0o640, "a again"); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteFile("etc/new", []byte("n\n"), 0o644, "new"); err != nil {
		t.Fatal(err)
	}
	c.Abort()
	ov := c.Overlay()
	if fi, err := ov.Stat("etc/a"); err != nil || fi.Mode.Perm() != 0o600 {
		t.Errorf("etc/a after abort: %v %v, want r1's 0600", fi.Mode, err)
	}
	if _, err := ov.Stat("etc/new"); err == nil {
		t.Error("etc/new planned by the aborted rule still exists")
	}
	ents, err := ov.ReadDir("etc")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "a,b" {
		t.Errorf("etc lists %v", names)
	}
	if len(c.Final()) != 1 || c.Final()[0].Path != "etc/a" {
		t.Errorf("final = %+v", c.Final())
	}
}
