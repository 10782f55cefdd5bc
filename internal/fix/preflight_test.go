package fix

import (
	"context"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/rules"
	"github.com/cradle-cra/cradle/internal/tailor"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// writeCheck fails and plans one file write plus, when deferred is set, a
// deferred operation; its effect kind is what the assessor rates.
type writeCheck struct{ deferredOnly bool }

func (writeCheck) Evaluate(context.Context, *facts.Store) check.Outcome {
	return check.Outcome{Status: result.Fail}
}

func (c writeCheck) Remediate(_ context.Context, _ *facts.Store, ch *remedy.Changes) error {
	if c.deferredOnly {
		ch.Defer("install a package", "offline root")
	} else if err := ch.WriteFile("etc/cradle-test.conf", []byte("x\n"), 0o644, "write the test file"); err != nil {
		return err
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "alice"})
	return nil
}

// levelAssessor rates every operation at one level.
type levelAssessor string

func (l levelAssessor) Assess(*remedy.Op) remedy.Impact {
	ev := map[string][]string{
		remedy.ImpactUnknown:  {"no authentication log or journal was read (auth-log: none): SSH login by alice not ruled out"},
		remedy.ImpactObserved: {"alice logged in over SSH once"},
		remedy.ImpactPossible: {"alice may log in"},
	}[string(l)]
	return remedy.Impact{Level: string(l), Evidence: ev}
}

// TestUnknownRefusal is the rule for unknown impact: refused at disruption
// medium or above (unrated counts as high) unless accepted by
// --accept-unknown (ids, globs, all), the tailoring or --force; applied
// and reported at low; never decided for deferred operations.
func TestUnknownRefusal(t *testing.T) {
	tl := &tailor.Tailoring{AcceptUnknown: []string{"accounts.tailored*"}, Source: "site.yaml"}
	tests := []struct {
		name       string
		rule       string
		disruption string
		level      string
		accept     []string
		force      []string
		deferred   bool
		status     string
		reason     string
	}{
		{"unknown, low: applied", "accounts.x", "low", remedy.ImpactUnknown, nil, nil, false, StatusPlanned, ""},
		{"unknown, medium: refused", "accounts.x", "medium", remedy.ImpactUnknown, nil, nil, false, StatusRefused,
			"impact unknown at disruption medium: no authentication log or journal was read (auth-log: none): SSH login by alice not ruled out; review it and pass --accept-unknown accounts.x"},
		{"unknown, high: refused", "accounts.x", "high", remedy.ImpactUnknown, nil, nil, false, StatusRefused, "impact unknown at disruption high"},
		{"unknown, unrated: refused", "accounts.x", "", remedy.ImpactUnknown, nil, nil, false, StatusRefused, "impact unknown at disruption unrated"},
		{"accepted by id", "accounts.x", "medium", remedy.ImpactUnknown, []string{"accounts.x"}, nil, false, StatusPlanned, "impact unknown, accepted by --accept-unknown"},
		{"accepted by glob", "accounts.x", "high", remedy.ImpactUnknown, []string{"accounts.*"}, nil, false, StatusPlanned, "accepted by --accept-unknown"},
		{"accepted: all", "accounts.x", "high", remedy.ImpactUnknown, []string{AcceptAll}, nil, false, StatusPlanned, "accepted by --accept-unknown"},
		{"another rule accepted", "accounts.x", "medium", remedy.ImpactUnknown, []string{"ssh.*", "accounts.y"}, nil, false, StatusRefused, "--accept-unknown accounts.x"},
		{"accepted by tailoring", "accounts.tailored_one", "medium", remedy.ImpactUnknown, nil, nil, false, StatusPlanned, "accepted by accept_unknown in site.yaml"},
		{"forced", "accounts.x", "medium", remedy.ImpactUnknown, nil, []string{"accounts.x"}, false, StatusPlanned, "accepted by --force"},
		{"deferred only", "accounts.x", "high", remedy.ImpactUnknown, nil, nil, true, StatusDeferred, "offline root"},
		{"none, high", "accounts.x", "high", remedy.ImpactNone, nil, nil, false, StatusPlanned, ""},
		{"possible, high", "accounts.x", "high", remedy.ImpactPossible, nil, nil, false, StatusPlanned, ""},
		{"observed, low", "accounts.x", "low", remedy.ImpactObserved, []string{AcceptAll}, nil, false, StatusRefused, "observed impact"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			tg := targettest.Tree(t, map[string]string{"etc/hostname": "h\n"})
			ch := remedy.New(tg)
			r := &rules.Rule{ID: tc.rule, Fix: rules.FixMeta{Disruption: tc.disruption}}
			opts := Options{AcceptUnknown: tc.accept, Force: tc.force, Impact: levelAssessor(tc.level)}
			opts.Engine.Tailoring = tl
			rf := planRule(ctx, facts.NewStore(ctx, tg), ch, engine.Planned{Rule: r, Check: writeCheck{deferredOnly: tc.deferred}}, RuleFix{Rule: r.ID, Meta: metaOf(r)}, opts)
			if rf.Status != tc.status || !strings.Contains(rf.Reason, tc.reason) || (tc.reason == "" && rf.Reason != "") {
				t.Errorf("status %s, reason %q; want %s, %q", rf.Status, rf.Reason, tc.status, tc.reason)
			}
			if rf.Impact == nil || rf.Impact.Level != tc.level {
				t.Errorf("impact %+v, want %s", rf.Impact, tc.level)
			}
			// A refused rule leaves nothing planned.
			if got := len(ch.RuleOps(r.ID)); (rf.Status == StatusRefused) != (got == 0) {
				t.Errorf("%s with %d planned ops", rf.Status, got)
			}
		})
	}
}
