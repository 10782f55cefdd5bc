package app

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// TestFixLeavesNestedRootsAlone: fs.suid_sgid.allowlist planned and
// applied on a host holding an LXC container and a debootstrap tree strips
// only the host's own off-list program; the nested sudo, su and passwd
// keep their setuid bits, and tailoring skip_nested_roots: false is what
// it takes to plan changes there.
func TestFixLeavesNestedRootsAlone(t *testing.T) {
	const rule = "fs.suid_sgid.allowlist"
	files := map[string]string{
		"etc/passwd":         "root:x:0:0:root:/root:/bin/bash\n",
		"etc/group":          "root:x:0:\n",
		"usr/local/bin/tool": "",
	}
	nested := []string{"var/lib/lxc/web/rootfs/", "tmp/bootstrap/"}
	setuid := []string{"usr/bin/sudo", "usr/bin/su", "usr/bin/passwd"}
	for _, root := range append([]string{""}, nested...) {
		files[root+"usr/lib/os-release"] = "ID=debian\nVERSION_ID=\"12\"\n"
		files[root+"etc/os-release"] = "->../usr/lib/os-release"
		for _, p := range setuid {
			files[root+p] = ""
		}
	}
	dir := targettest.Dir(t, files)
	for _, p := range append(setuid, "usr/local/bin/tool") {
		for _, root := range append([]string{""}, nested...) {
			if _, ok := files[root+p]; ok {
				if err := os.Chmod(filepath.Join(dir, root+p), 0o755|fs.ModeSetuid); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	spec, err := target.NewSpec(target.KindRootFS, dir)
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	a := &App{Getenv: func(k string) string { return map[string]string{"CRADLE_HOME": state}[k] }, UID: os.Geteuid(), Version: "test",
		Warn: func(err error) { t.Logf("warning: %v", err) }}
	ctx := context.Background()
	sel := Selection{Rules: []string{rule}}

	plan, err := a.Fix(ctx, FixInput{Target: spec, Selection: sel, NoPreflight: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Document.Plan) != 1 || plan.Document.Plan[0].Path != "/usr/local/bin/tool" {
		t.Fatalf("plan: %+v", plan.Document.Plan)
	}
	applied, err := a.Fix(ctx, FixInput{Target: spec, Selection: sel, NoPreflight: true, Apply: true})
	if err != nil || applied.Document.Run == nil {
		t.Fatalf("apply: %+v, %v", applied, err)
	}
	mode := func(p string) fs.FileMode {
		fi, err := os.Lstat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode()
	}
	if mode("usr/local/bin/tool")&fs.ModeSetuid != 0 {
		t.Error("the host's off-list program kept its setuid bit")
	}
	for _, root := range append([]string{""}, nested...) {
		for _, p := range setuid {
			if mode(root+p)&fs.ModeSetuid == 0 {
				t.Errorf("%s lost its setuid bit", root+p)
			}
		}
	}

	// Tailored to enter other systems' trees, the plan reaches into them:
	// the parameter is what keeps them out.
	tailoring := filepath.Join(t.TempDir(), "tailoring.yaml")
	if err := os.WriteFile(tailoring, []byte("params:\n  "+rule+": {skip_nested_roots: false}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	entered, err := a.Fix(ctx, FixInput{Target: spec, Selection: Selection{Rules: sel.Rules, Tailoring: tailoring}, NoPreflight: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, op := range entered.Document.Plan {
		if strings.HasPrefix(op.Path, "/var/lib/lxc/") || strings.HasPrefix(op.Path, "/tmp/bootstrap/") {
			n++
		}
	}
	if n != len(nested)*len(setuid) {
		t.Errorf("tailored plan has %d operations in nested roots, want %d: %+v", n, len(nested)*len(setuid), entered.Document.Plan)
	}
}
