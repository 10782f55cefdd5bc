//go:build linux

package fix

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/catalog"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/journal"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// TestPlanApplyRace plans real fixes for a small tree, changes the tree
// between planning and applying as someone who can write to it (or to
// its parent) could, then applies: nothing outside the target changes
// and no edit made in between is lost.
func TestPlanApplyRace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (owners)")
	}
	eng, err := catalog.Load("test")
	if err != nil {
		t.Fatal(err)
	}
	const sshd = "PermitRootLogin yes\n"
	files := map[string]string{
		"etc/os-release":      "ID=debian\nVERSION_ID=\"12\"\n",
		"etc/ssh/sshd_config": sshd,
		"etc/shadow":          "root:*:19000:0:99999:7:::\n",
		"etc/passwd":          "root:x:0:0:root:/root:/bin/bash\n",
	}
	type outcome struct {
		run *journal.Run
		err error
	}
	for _, tc := range []struct {
		name  string
		race  func(t *testing.T, root, host string)
		check func(t *testing.T, root string, o outcome)
	}{
		{"root replaced by a symlink to the host", func(t *testing.T, root, host string) {
			must(t, os.Rename(root, root+".orig"))
			must(t, os.Symlink(host, root))
		}, func(t *testing.T, root string, o outcome) {
			if !errors.Is(o.err, journal.ErrRootChanged) {
				t.Errorf("apply: %v, want ErrRootChanged", o.err)
			}
		}},
		{"planned file edited", func(t *testing.T, root, host string) {
			must(t, os.WriteFile(filepath.Join(root, "etc/ssh/sshd_config"), []byte(sshd+"# added by hand\n"), 0o600))
		}, func(t *testing.T, root string, o outcome) {
			if o.err != nil {
				t.Fatal(o.err)
			}
			if b, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); string(b) != sshd+"# added by hand\n" {
				t.Errorf("the edit was lost: %q", b)
			}
			if !slices.ContainsFunc(o.run.Skipped, func(s journal.Skip) bool {
				return s.Path == "/etc/ssh/sshd_config" && strings.Contains(s.Reason, "content changed")
			}) {
				t.Errorf("skipped = %+v", o.run.Skipped)
			}
			if fi, _ := os.Stat(filepath.Join(root, "etc/shadow")); fi.Mode().Perm() != 0o640 {
				t.Errorf("the other rule was not applied: shadow %v", fi.Mode())
			}
		}},
		{"directory replaced by a symlink to the host", func(t *testing.T, root, host string) {
			must(t, os.Rename(filepath.Join(root, "etc/ssh"), filepath.Join(root, "etc/ssh.orig")))
			must(t, os.Symlink(filepath.Join(host, "etc/ssh"), filepath.Join(root, "etc/ssh")))
		}, func(t *testing.T, root string, o outcome) {
			if o.err == nil || o.run != nil {
				t.Errorf("apply: %v %+v, want a refusal before anything is written", o.err, o.run)
			}
		}},
		{"host file hard-linked over a planned one", func(t *testing.T, root, host string) {
			p := filepath.Join(root, "etc/shadow")
			must(t, os.Remove(p))
			must(t, os.Link(filepath.Join(host, "etc/shadow"), p))
		}, func(t *testing.T, root string, o outcome) {
			if o.err != nil {
				t.Fatal(o.err)
			}
			if !slices.ContainsFunc(o.run.Skipped, func(s journal.Skip) bool {
				return s.Path == "/etc/shadow" && strings.Contains(s.Reason, "hard links")
			}) {
				t.Errorf("skipped = %+v", o.run.Skipped)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := targettest.Dir(t, files)
			must(t, os.Chmod(filepath.Join(root, "etc/shadow"), 0o644))
			host := targettest.Dir(t, map[string]string{"etc/ssh/sshd_config": "host sshd\n", "etc/shadow": "host:secret\n"})
			must(t, os.Chmod(filepath.Join(host, "etc/shadow"), 0o644))
			hostBefore := hashTree(t, host)

			tg, err := target.OpenRootFS(root)
			must(t, err)
			opts := engine.Options{RuleIDs: []string{"ssh.permit_root_login", "file.shadow.permissions"}}
			opts.Profile = eng.ResolveProfile(opts)
			plan, err := Make(context.Background(), eng, tg, Options{Engine: opts})
			tg.Close()
			must(t, err)
			if len(plan.Applied) != 2 || plan.Root == nil {
				t.Fatalf("plan: %+v, root %v", plan.Applied, plan.Root)
			}

			tc.race(t, root, host)
			store, err := journal.Open(filepath.Join(t.TempDir(), "runs"))
			must(t, err)
			run, err := store.Apply(context.Background(), root, journal.Run{Root: plan.Root}, plan.Changes.Final(), nil, journal.ApplyOptions{})
			tc.check(t, root, outcome{run, err})
			if got := hashTree(t, host); got != hostBefore {
				t.Errorf("the host changed:\n%s\nwas\n%s", got, hostBefore)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// hashTree lists every file under dir with its mode and content.
func hashTree(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		line := p + " " + fi.Mode().String()
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += " " + string(b)
		}
		lines = append(lines, line)
		return nil
	})
	must(t, err)
	return strings.Join(lines, "\n")
}
