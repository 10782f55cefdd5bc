package checks

import (
	"context"
	"testing"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
)

// TestFixnetOnBrokenFixture requires every rule of the sshd, sysctl,
// module, mount, audit and limits templates that fails on the broken copy
// of the debootstrap tree to pass on its planned fix, alone and with all of
// them planned into one change set.
func TestFixnetOnBrokenFixture(t *testing.T) {
	tg := brokenTree(t)
	ctx := context.Background()
	all := remedy.New(tg)
	var fixed []ruleCheck
	failing := 0
	for _, rc := range baselineChecks(t, "sshd_option", "sshd_crypto", "sysctl", "kernel_module_disabled", "mount_option", "audit_rule", "limits") {
		r, c := rc.r, rc.c
		if c.Evaluate(ctx, facts.NewStore(ctx, tg)).Status != result.Fail {
			continue
		}
		failing++
		rem, ok := c.(check.Remediator)
		if !ok {
			t.Errorf("%s: %T is no Remediator", r.ID, c)
			continue
		}
		meta := remedy.Meta{Disruption: r.Fix.Disruption, Reboot: r.Fix.Reboot, Strategy: r.Fix.Strategy}
		// Alone.
		ch := remedy.New(tg)
		ch.Begin(r.ID, meta)
		if err := rem.Remediate(ctx, facts.NewStore(ctx, tg), ch); err != nil {
			t.Errorf("%s: %v", r.ID, err)
			continue
		}
		deferred := len(ch.Ops()) > 0
		for _, op := range ch.Ops() {
			deferred = deferred && op.Deferred()
		}
		if deferred {
			t.Logf("%s: deferred: %s", r.ID, ch.Ops()[0].Reason)
			continue
		}
		if o := c.Evaluate(ctx, facts.NewStore(ctx, ch.Overlay())); o.Status != result.Pass {
			t.Errorf("%s: %s after its fix: %s %+v", r.ID, o.Status, o.Reason, o.Evidence)
		}
		// Together, as cradle fix plans a profile.
		if c.Evaluate(ctx, facts.NewStore(ctx, all.Overlay())).Status == result.Fail {
			all.Begin(r.ID, meta)
			if err := rem.Remediate(ctx, facts.NewStore(ctx, tg), all); err != nil {
				t.Errorf("%s (combined): %v", r.ID, err)
			}
		}
		fixed = append(fixed, rc)
	}
	if failing < 60 {
		t.Errorf("only %d rules fail on the broken tree; the scenarios changed?", failing)
	}
	for _, p := range fixed {
		if o := p.c.Evaluate(ctx, facts.NewStore(ctx, all.Overlay())); o.Status != result.Pass {
			t.Errorf("%s: %s with every fix planned together: %+v", p.r.ID, o.Status, o.Evidence)
		}
	}
	t.Logf("%d failing rules, %d fixed; combined plan writes %d paths", failing, len(fixed), len(all.Final()))
}
