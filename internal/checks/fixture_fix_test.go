package checks_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/cradle-cra/cradle/internal/baseline"
	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/checks"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// authTemplates are the templates whose fixes this test covers.
var authTemplates = []string{"account_property", "config_kv", "pam_option", "sudo_option", "sudo_rule",
	"scheduler_access", "dir_files_mode", "rsyslog_file_mode", "rsyslog_input"}

// TestAuthFixesOnFixture plans, rule after rule into one change set, the
// fix of every baseline rule of these templates that fails on the
// debootstrap tree (pristine, and with every scenario's break script
// applied), and requires each to pass on the planned state, and every rule
// that passed or was fixed to still pass once all are planned.
func TestAuthFixesOnFixture(t *testing.T) {
	pristine := targettest.Fixture(t)
	t.Run("pristine", func(t *testing.T) { planAll(t, pristine) })
	t.Run("break", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("copying the fixture with its ownership needs root")
		}
		dir := filepath.Join(t.TempDir(), "root")
		if out, err := exec.Command("cp", "-a", os.Getenv("CRADLE_TEST_ROOTFS"), dir).CombinedOutput(); err != nil {
			t.Fatalf("copy fixture: %v: %s", err, out)
		}
		scripts, _ := filepath.Glob(filepath.Join("..", "integration", "testdata", "scenarios", "*.break.sh"))
		sort.Strings(scripts)
		for _, s := range scripts {
			if out, err := exec.Command("bash", s, dir).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v: %s", s, err, out)
			}
		}
		tg, err := target.OpenRootFS(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer tg.Close()
		planAll(t, tg)
	})
}

func planAll(t *testing.T, tg target.Target) {
	ctx := context.Background()
	reg, err := checks.Registry()
	if err != nil {
		t.Fatal(err)
	}
	set, _, err := baseline.Load(reg)
	if err != nil {
		t.Fatal(err)
	}
	before := facts.NewStore(ctx, tg)
	ch := remedy.New(tg)
	var keep []check.Check
	var ids []string
	fixed := 0
	for _, r := range set.Rules {
		if !slices.Contains(authTemplates, r.Template) {
			continue
		}
		c, err := r.Instantiate(reg, nil)
		if err != nil {
			t.Fatal(err)
		}
		st := c.Evaluate(ctx, before).Status
		if st == result.Pass {
			keep, ids = append(keep, c), append(ids, r.ID)
			continue
		}
		if st != result.Fail {
			continue
		}
		if f, ok := c.(check.Fixable); !ok || !f.Fixable() {
			continue
		}
		ch.Begin(r.ID, remedy.Meta{Disruption: r.Fix.Disruption, Strategy: r.Fix.Strategy})
		if c.Evaluate(ctx, facts.NewStore(ctx, ch.Overlay())).Status == result.Pass {
			keep, ids = append(keep, c), append(ids, r.ID) // an earlier fix covered it
			continue
		}
		if err := c.(check.Remediator).Remediate(ctx, before, ch); err != nil {
			t.Errorf("%s: Remediate: %v", r.ID, err)
			ch.Abort()
			continue
		}
		ops := ch.RuleOps(r.ID)
		if len(ops) == 0 {
			t.Errorf("%s: no operation planned for a failing rule", r.ID)
			continue
		}
		// A partly deferred fix (a home directory to create) cannot pass.
		if i := slices.IndexFunc(ops, (*remedy.Op).Deferred); i >= 0 {
			t.Logf("%s: deferred: %s (%s)", r.ID, ops[i].Summary, ops[i].Reason)
			continue
		}
		if o := c.Evaluate(ctx, facts.NewStore(ctx, ch.Overlay())); o.Status != result.Pass {
			for _, op := range ops {
				t.Logf("op %s %s: %s\n%s", op.Kind, op.Path, op.Summary, op.Diff)
			}
			t.Errorf("%s: after fix %s %s %+v", r.ID, o.Status, o.Reason, o.Evidence)
			continue
		}
		fixed++
		keep, ids = append(keep, c), append(ids, r.ID)
	}
	final := facts.NewStore(ctx, ch.Overlay())
	for i, c := range keep {
		if o := c.Evaluate(ctx, final); o.Status != result.Pass {
			t.Errorf("%s: fails once every fix is planned: %s %+v", ids[i], o.Status, o.Evidence)
		}
	}
	t.Logf("%d rules fixed, %d passing at the end", fixed, len(keep))
	if os.Getenv("CRADLE_DUMP_PLAN") != "" {
		for _, op := range ch.Ops() {
			t.Logf("%s %s %s: %s %s>%s\n%s", op.Rule, op.Kind, op.Path, op.Summary, op.From, op.To, op.Diff)
		}
	}
}
