package checks

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// authTemplates are the templates whose fixes this test covers.
var authTemplates = []string{"account_property", "config_kv", "pam_option", "sudo_option", "sudo_rule",
	"scheduler_access", "dir_files_mode", "rsyslog_file_mode", "rsyslog_input", "audit_privileged"}

// TestAuthFixesOnFixture plans, rule after rule into one change set, the
// fix of every baseline rule of these templates that fails on the
// debootstrap tree (pristine, and with every scenario's break script
// applied), and requires each to pass on the planned state, and every rule
// that passed or was fixed to still pass once all are planned.
func TestAuthFixesOnFixture(t *testing.T) {
	pristine := targettest.Fixture(t)
	t.Run("pristine", func(t *testing.T) { planAll(t, pristine) })
	t.Run("break", func(t *testing.T) { planAll(t, brokenTree(t)) })
}

func planAll(t *testing.T, tg target.Target) {
	ctx := context.Background()
	before := facts.NewStore(ctx, tg)
	ch := remedy.New(tg)
	var keep []ruleCheck
	fixed := 0
	for _, rc := range baselineChecks(t, authTemplates...) {
		r, c := rc.r, rc.c
		st := c.Evaluate(ctx, before).Status
		if st == result.Pass {
			keep = append(keep, rc)
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
			keep = append(keep, rc) // an earlier fix covered it
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
		keep = append(keep, rc)
	}
	final := facts.NewStore(ctx, ch.Overlay())
	for _, k := range keep {
		if o := k.c.Evaluate(ctx, final); o.Status != result.Pass {
			t.Errorf("%s: fails once every fix is planned: %s %+v", k.r.ID, o.Status, o.Evidence)
		}
	}
	t.Logf("%d rules fixed, %d passing at the end", fixed, len(keep))
	if os.Getenv("CRADLE_DUMP_PLAN") != "" {
		for _, op := range ch.Ops() {
			t.Logf("%s %s %s: %s %s>%s\n%s", op.Rule, op.Kind, op.Path, op.Summary, op.From, op.To, op.Diff)
		}
	}
}
