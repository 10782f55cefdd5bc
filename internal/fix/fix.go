// Package fix turns failing rules into a remediation plan and carries it
// out safely. Planning scans the target, asks each failing rule's template
// for typed operations (internal/remedy), runs the impact preflight on
// them, filters by fix metadata, and verifies the plan by re-running the
// rules against an overlay of the planned state — all before anything is
// written. Applying validates the files to be written, hands the net
// changes to the write-ahead journal (internal/journal) and re-scans the
// real target to verify.
package fix

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/impact"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/rules"
	"github.com/cradle-cra/cradle/internal/target"
)

// Rule statuses in a plan.
const (
	StatusPlanned  = "planned"  // operations will be applied
	StatusDeferred = "deferred" // reported, cannot be made on this target
	StatusRefused  = "refused"  // observed impact not forced, or unknown impact at disruption medium+ not accepted
	StatusSkipped  = "skipped"  // filtered out by --max-disruption / --no-reboot, or --apply left a path of it alone
	StatusManual   = "manual"   // the template has no native fix
	StatusError    = "error"    // planning failed
	StatusPartial  = "partial"  // planned, but the overlay still fails the rule
	// After --apply:
	StatusFixed      = "fixed"       // applied and the rule passes
	StatusStillFails = "still_fails" // applied, rule still fails
)

// Assessor classifies the impact of an operation (internal/impact).
type Assessor interface {
	Assess(op *remedy.Op) remedy.Impact
}

// Options select what is planned.
type Options struct {
	Engine engine.Options
	// Force lists rules whose observed impact is accepted.
	Force []string
	// AcceptUnknown lists rules (ids, globs, or AcceptAll) whose unknown
	// impact is accepted; the tailoring's accept_unknown adds to it.
	AcceptUnknown []string
	// MaxDisruption drops fixes above this level ("low", "medium", "high";
	// "" keeps all); NoReboot drops fixes that need a reboot.
	MaxDisruption string
	NoReboot      bool
	// Strategies, when set, keeps only fixes with one of these strategies
	// (configure, disable, enable, install, remove, restrict).
	Strategies []string
	// Impact assesses operations; nil skips the preflight.
	Impact Assessor
}

// RuleFix is the plan's verdict for one failing rule.
type RuleFix struct {
	Rule     string          `json:"rule"`
	Title    string          `json:"title"`
	Severity result.Severity `json:"severity"`
	Status   string          `json:"status"`
	Reason   string          `json:"reason,omitempty"`
	Meta     remedy.Meta     `json:"fix"`
	Impact   *remedy.Impact  `json:"impact,omitempty"`
	Ops      []remedy.Op     `json:"-"`
}

// Plan is the outcome of planning.
type Plan struct {
	Target  target.Target
	Before  *result.Report
	Changes *remedy.Changes
	Rules   []RuleFix
	// Applied lists the operations that will be applied, in order.
	Applied  []remedy.Op
	Deferred []remedy.Op
	Refused  []remedy.Op
	// Root pins the directory tree the plan was made against (nil for
	// images, which are never changed): applying it anywhere else is
	// refused.
	Root *remedy.RootID
	// Sources are what the impact preflight read and missed (nil without
	// a preflight).
	Sources []impact.Source
	// Access is who could get in and escalate before the plan and after
	// it (access.go).
	Access *AccessCheck
}

var disruptionRank = map[string]int{"": 0, "low": 1, "medium": 2, "high": 3}

// ValidDisruption reports whether s is a disruption level.
func ValidDisruption(s string) bool { _, ok := disruptionRank[s]; return ok && s != "" }

// ValidStrategy reports whether s is a fix strategy rules use.
func ValidStrategy(s string) bool {
	return slices.Contains([]string{"configure", "disable", "enable", "install", "remove", "restrict"}, s)
}

// Make scans t and plans fixes for its failing rules.
func Make(ctx context.Context, eng *engine.Engine, t target.Target, opts Options) (*Plan, error) {
	planned, err := eng.Plan(opts.Engine)
	if err != nil {
		return nil, err
	}
	store := facts.NewStore(ctx, t)
	rep, err := eng.ScanStore(ctx, store, planned, opts.Engine)
	if err != nil {
		return nil, err
	}
	status := map[string]result.Result{}
	for _, r := range rep.Results {
		status[r.RuleID] = r
	}
	p := &Plan{Target: t, Before: rep, Changes: remedy.New(t)}
	if sl, ok := opts.Impact.(SourceLister); ok {
		p.Sources = sl.SourceList()
	}
	// The scan and the plan share one time (opts.Engine.Now, zero meaning
	// the clock): password ageing is judged against it.
	now := opts.Engine.Now
	if now.IsZero() {
		now = time.Now()
	}
	p.Changes.SetNow(now)
	if t.Kind() != target.KindImage {
		id, err := p.Changes.Root()
		if err != nil {
			return nil, err
		}
		p.Root = &id
	}
	p.Access = newAccessCheck(ctx, t, now)
	pv := &plannedView{ch: p.Changes, version: -1}
	for _, pl := range planned {
		// Planning a rule can read and re-evaluate much of the target:
		// stop between rules once cancelled.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res := status[pl.Rule.ID]
		if res.Status != result.Fail {
			continue
		}
		rf := RuleFix{Rule: pl.Rule.ID, Title: pl.Rule.Title, Severity: pl.Rule.Severity, Meta: metaOf(pl.Rule)}
		// A fix planned for an earlier rule may already satisfy this one
		// (two rules on one setting); fixing it again could undo that.
		if pv.passes(ctx, pl.Check) {
			rf.Status, rf.Reason = StatusPlanned, "satisfied by the changes planned for other rules"
			p.Rules = append(p.Rules, rf)
			continue
		}
		p.Rules = append(p.Rules, p.Access.checkRule(ctx, p.Changes, planRule(ctx, store, p.Changes, pl, rf, opts), opts.Force))
	}
	for i := range p.Rules {
		rf := &p.Rules[i]
		for _, op := range p.Changes.RuleOps(rf.Rule) {
			if op.Deferred() {
				p.Deferred = append(p.Deferred, *op)
			} else {
				p.Applied = append(p.Applied, *op)
			}
		}
		if rf.Status == StatusRefused {
			p.Refused = append(p.Refused, rf.Ops...)
		}
	}
	if err := p.verifyOverlay(ctx, eng, opts); err != nil {
		return nil, err
	}
	return p, nil
}

// plannedView evaluates checks against the planned state, reusing one fact
// store for as long as the plan does not change.
type plannedView struct {
	ch      *remedy.Changes
	version int
	store   *facts.Store
}

func (v *plannedView) passes(ctx context.Context, c check.Check) (ok bool) {
	if len(v.ch.Ops()) == 0 {
		return false
	}
	if v.version != v.ch.Version() {
		v.store, v.version = facts.NewStore(ctx, noWalk{v.ch.Overlay()}), v.ch.Version()
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return c.Evaluate(ctx, v.store).Status == result.Pass
}

// satisfiedWithWalk evaluates c against the planned state with a full
// walk; it runs only when a template planned nothing.
func satisfiedWithWalk(ctx context.Context, ch *remedy.Changes, c check.Check) (ok bool) {
	if len(ch.Ops()) == 0 {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return c.Evaluate(ctx, facts.NewStore(ctx, ch.Overlay())).Status == result.Pass
}

// noWalk keeps the pre-check cheap: a check that needs a filesystem-wide
// walk gets an error (so it is planned normally) instead of one walk of
// the whole target per planned rule.
type noWalk struct{ target.Target }

var errNoWalk = errors.New("filesystem walk not available in the pre-check")

func (noWalk) Walk(context.Context, target.WalkOptions, target.WalkFunc) error { return errNoWalk }

// manualReason gives a rule without a native fix its remediation notes
// and the command that shows the whole rule.
func manualReason(r *rules.Rule) string {
	if r.Fix.Notes == "" {
		return fmt.Sprintf("no native fix; cradle rules %s shows the rule", r.ID)
	}
	return fmt.Sprintf("no native fix: %s (cradle rules %s)", strings.TrimSpace(r.Fix.Notes), r.ID)
}

func metaOf(r *rules.Rule) remedy.Meta {
	return remedy.Meta{Disruption: r.Fix.Disruption, Reboot: r.Fix.Reboot, Strategy: r.Fix.Strategy}
}

func planRule(ctx context.Context, store *facts.Store, ch *remedy.Changes, pl engine.Planned, rf RuleFix, opts Options) RuleFix {
	rem, ok := pl.Check.(check.Remediator)
	if f, fok := pl.Check.(check.Fixable); !ok || (fok && !f.Fixable()) {
		rf.Status, rf.Reason = StatusManual, manualReason(pl.Rule)
		return rf
	}
	if opts.MaxDisruption != "" {
		// A fix nobody rated is not assumed to be harmless.
		rank, ok := disruptionRank[rf.Meta.Disruption]
		if !ok || rf.Meta.Disruption == "" {
			rank = disruptionRank["high"]
		}
		if rank > disruptionRank[opts.MaxDisruption] {
			rf.Status, rf.Reason = StatusSkipped, fmt.Sprintf("disruption %q is above --max-disruption %s (unrated counts as high)", rf.Meta.Disruption, opts.MaxDisruption)
			return rf
		}
	}
	if len(opts.Strategies) > 0 && !slices.Contains(opts.Strategies, rf.Meta.Strategy) {
		rf.Status, rf.Reason = StatusSkipped, fmt.Sprintf("strategy %q is not in --strategy %s", rf.Meta.Strategy, strings.Join(opts.Strategies, ","))
		return rf
	}
	if opts.NoReboot && rf.Meta.Reboot {
		rf.Status, rf.Reason = StatusSkipped, "needs a reboot (--no-reboot)"
		return rf
	}
	ch.Begin(rf.Rule, rf.Meta)
	if err := rem.Remediate(ctx, store, ch); err != nil {
		ch.Abort()
		rf.Status, rf.Reason = StatusError, err.Error()
		return rf
	}
	ops := ch.RuleOps(rf.Rule)
	if len(ops) == 0 {
		ch.Abort()
		// A filesystem-wide check escapes the cheap pre-check (noWalk):
		// other rules' changes may have fixed every entry it found.
		if satisfiedWithWalk(ctx, ch, pl.Check) {
			rf.Status, rf.Reason = StatusPlanned, "satisfied by the changes planned for other rules"
			return rf
		}
		rf.Status, rf.Reason = StatusError, "the template planned no operation for a failing rule"
		return rf
	}
	worst := remedy.Impact{Level: remedy.ImpactNone}
	if opts.Impact != nil {
		seen := map[string]bool{}
		for _, op := range ops {
			im := opts.Impact.Assess(op)
			op.Impact = &im
			if impact.Rank(im.Level) > impact.Rank(worst.Level) {
				worst.Level = im.Level
			}
			if im.Level != remedy.ImpactNone {
				for _, e := range im.Evidence {
					if !seen[e] {
						seen[e] = true
						worst.Evidence = append(worst.Evidence, e)
					}
				}
			}
		}
		worst.Evidence = remedy.CapEvidence(worst.Evidence, remedy.MaxImpactEvidence)
		rf.Impact = &worst
	}
	for _, op := range ops {
		rf.Ops = append(rf.Ops, *op)
	}
	allDeferred := true
	for _, op := range ops {
		allDeferred = allDeferred && op.Deferred()
	}
	switch {
	case worst.Level == remedy.ImpactObserved && !slices.Contains(opts.Force, rf.Rule):
		ch.Abort()
		rf.Status = StatusRefused
		rf.Reason = "observed impact; review the evidence and re-run with --force " + rf.Rule + " to apply anyway"
	case allDeferred:
		rf.Status = StatusDeferred
		for _, op := range ops {
			if op.Reason != "" {
				rf.Reason = op.Reason
				break
			}
		}
	default:
		rf.Status = StatusPlanned
		if reason, refuse := unknownVerdict(rf, ops, opts); refuse {
			ch.Abort()
			rf.Status, rf.Reason = StatusRefused, reason
		} else {
			rf.Reason = reason
		}
	}
	return rf
}

// verifyOverlay re-runs the planned rules against the planned state and
// marks those that would still fail.
func (p *Plan) verifyOverlay(ctx context.Context, eng *engine.Engine, opts Options) error {
	var ids []string
	for _, rf := range p.Rules {
		if rf.Status == StatusPlanned {
			ids = append(ids, rf.Rule)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	after, err := Rescan(ctx, eng, p.Changes.Overlay(), opts.Engine, ids)
	if err != nil {
		return fmt.Errorf("verify plan: %w", err)
	}
	for i := range p.Rules {
		rf := &p.Rules[i]
		if r, ok := after[rf.Rule]; ok && rf.Status == StatusPlanned && r.Status != result.Pass && !hasRuntimeOnly(p.Changes.RuleOps(rf.Rule)) {
			rf.Status = StatusPartial
			still := "after the planned changes the rule would still be " + string(r.Status)
			if r.Reason != "" {
				still += ": " + r.Reason
			}
			// Notes made while planning (deferrals, narrowed access) stay.
			rf.Reason = joinReason(still, rf.Reason)
		}
	}
	return nil
}

// hasRuntimeOnly reports whether a rule's fix includes a package manager
// action, whose effect the overlay cannot show before it runs.
func hasRuntimeOnly(ops []*remedy.Op) bool {
	for _, op := range ops {
		if op.Kind == remedy.KindPackage {
			return true
		}
	}
	return false
}

// Rescan evaluates rules ids on t with the same profile, tailoring and
// waivers and returns their results by rule.
func Rescan(ctx context.Context, eng *engine.Engine, t target.Target, opts engine.Options, ids []string) (map[string]result.Result, error) {
	o := opts
	o.RuleIDs, o.Progress = ids, nil
	planned, err := eng.Plan(o)
	if err != nil {
		return nil, err
	}
	rep, err := eng.Scan(ctx, t, planned, o)
	if err != nil {
		return nil, err
	}
	out := make(map[string]result.Result, len(rep.Results))
	for _, r := range rep.Results {
		out[r.RuleID] = r
	}
	return out, nil
}

// Empty reports whether the plan would change nothing.
func (p *Plan) Empty() bool { return len(p.Applied) == 0 }

// RuleIDs lists the rules with operations to apply.
func (p *Plan) RuleIDs() []string {
	var ids []string
	for _, rf := range p.Rules {
		if (rf.Status == StatusPlanned || rf.Status == StatusPartial) && !slices.Contains(ids, rf.Rule) {
			ids = append(ids, rf.Rule)
		}
	}
	return ids
}
