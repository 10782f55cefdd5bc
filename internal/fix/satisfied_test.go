package fix

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/rules"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// walkCheck passes when no file the walk finds is group- or
// world-writable, and plans nothing itself (another rule fixed the file).
type walkCheck struct{}

func (walkCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	bad := false
	err := f.Target().Walk(ctx, target.WalkOptions{}, func(fi target.FileInfo) error {
		if fi.Mode.IsRegular() && fi.Mode&0o022 != 0 {
			bad = true
		}
		return nil
	})
	if err != nil {
		return check.FromErr("walk", err)
	}
	if bad {
		return check.Fail()
	}
	return check.Pass()
}

func (walkCheck) Remediate(context.Context, *facts.Store, *remedy.Changes) error { return nil }

func TestPlanRuleSatisfiedByOtherRulesWalk(t *testing.T) {
	ctx := context.Background()
	tg := targettest.Tree(t, map[string]string{"usr/bin/tool": "x"})
	r := &rules.Rule{ID: "fs.x", Fix: rules.FixMeta{Disruption: "low"}}
	pl := engine.Planned{Rule: r, Check: walkCheck{}}

	if err := os.Chmod(filepath.Join(tg.Name(), "usr/bin/tool"), 0o666); err != nil {
		t.Fatal(err)
	}

	// Nothing planned by anyone: an error, as before.
	ch := remedy.New(tg)
	rf := planRule(ctx, facts.NewStore(ctx, tg), ch, pl, RuleFix{Rule: r.ID, Meta: metaOf(r)}, Options{})
	if rf.Status != StatusError {
		t.Errorf("no operation and still failing: %s %q", rf.Status, rf.Reason)
	}

	// Another rule's chmod already fixed the file: satisfied.
	ch = remedy.New(tg)
	ch.Begin("other", remedy.Meta{})
	if err := ch.Chmod("usr/bin/tool", 0o644, "other rule"); err != nil {
		t.Fatal(err)
	}
	rf = planRule(ctx, facts.NewStore(ctx, tg), ch, pl, RuleFix{Rule: r.ID, Meta: metaOf(r)}, Options{})
	if rf.Status != StatusPlanned || rf.Reason != "satisfied by the changes planned for other rules" {
		t.Errorf("fixed by another rule: %s %q", rf.Status, rf.Reason)
	}
}
