package checks

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cradle-cra/cradle/internal/baseline"
	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// fixedTemplates are the templates whose fixes TestBaselineFixesOnFixture
// verifies.
var fixedTemplates = []string{
	"package_installed", "package_absent", "service_state", "default_target",
	"repo_signatures", "apt_conf", "dnf_automatic", "file_mode", "file_exists",
	"fs_world_writable", "fs_suid",
}

// TestBaselineFixesOnFixture breaks a copy of the Debian 12 fixture with
// the integration scenarios, then requires every failing baseline rule of
// the templates above to pass on its planned fix, or to defer it with a
// reason.
func TestBaselineFixesOnFixture(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the fixture six times")
	}
	root := targettest.Fixture(t).Name()
	reg, err := Registry()
	if err != nil {
		t.Fatal(err)
	}
	set, _, err := baseline.Load(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []string{"packages", "services", "perms", "fswide", "updates", "time"} {
		t.Run(sc, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "root")
			if out, err := exec.Command("cp", "-a", root, dir).CombinedOutput(); err != nil {
				t.Fatalf("copy fixture: %v\n%s", err, out)
			}
			script, err := filepath.Abs(filepath.Join("..", "integration", "testdata", "scenarios", sc+".break.sh"))
			if err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("bash", script, dir).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", script, err, out)
			}
			tg, err := target.OpenRootFS(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			ctx := context.Background()
			// The facts of the broken tree, shared by every rule.
			before := facts.NewStore(ctx, tg)
			fixed := 0
			for _, r := range set.Rules {
				if !slices.Contains(fixedTemplates, r.Template) {
					continue
				}
				c, err := r.Instantiate(reg, nil)
				if err != nil {
					t.Fatal(err)
				}
				if o := c.Evaluate(ctx, before); o.Status != result.Fail {
					continue
				}
				if fx, ok := c.(check.Fixable); ok && !fx.Fixable() {
					continue
				}
				ch := remedy.New(tg)
				ch.Begin(r.ID, remedy.Meta{})
				if err := c.(check.Remediator).Remediate(ctx, before, ch); err != nil {
					t.Errorf("%s: Remediate: %v", r.ID, err)
					continue
				}
				deferred, applied := 0, 0
				for _, op := range ch.Ops() {
					if op.Deferred() {
						deferred++
						if op.Reason == "" {
							t.Errorf("%s: deferred %q without a reason", r.ID, op.Summary)
						}
						t.Logf("%s: deferred %s: %s", r.ID, op.Summary, op.Reason)
					} else {
						applied++
					}
				}
				switch {
				case applied == 0 && deferred == 0:
					t.Errorf("%s: failing rule planned nothing", r.ID)
				case applied == 0:
				default:
					if o := c.Evaluate(ctx, facts.NewStore(ctx, ch.Overlay())); o.Status != result.Pass && deferred == 0 {
						t.Errorf("%s: after fix: %s %s %+v", r.ID, o.Status, o.Reason, o.Evidence)
						for _, op := range ch.Ops() {
							t.Logf("  op %s %s: %s", op.Kind, op.Path, op.Summary)
						}
					}
					fixed++
				}
			}
			t.Logf("%d rules fixed natively", fixed)
		})
	}
}
