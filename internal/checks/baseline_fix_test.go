package checks

import (
	"context"
	"testing"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
)

// fixedTemplates are the templates whose fixes TestBaselineFixesOnFixture
// verifies.
var fixedTemplates = []string{
	"package_installed", "package_absent", "service_state", "default_target",
	"repo_signatures", "apt_conf", "dnf_automatic", "file_mode", "file_exists",
	"fs_world_writable", "fs_suid",
}

// TestBaselineFixesOnFixture requires every baseline rule of the templates
// above that fails on the broken copy of the Debian 12 fixture to pass on
// its planned fix, or to defer it with a reason.
func TestBaselineFixesOnFixture(t *testing.T) {
	tg := brokenTree(t)
	ctx := context.Background()
	// The facts of the broken tree, shared by every rule.
	before := facts.NewStore(ctx, tg)
	fixed := 0
	for _, rc := range baselineChecks(t, fixedTemplates...) {
		r, c := rc.r, rc.c
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
}
