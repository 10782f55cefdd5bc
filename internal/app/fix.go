package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/impact"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// FixInput is a fix request: a dry run, or with Apply the changes.
type FixInput struct {
	Target    target.Spec
	Selection Selection
	Apply     bool
	// Force applies these rules despite observed impact.
	Force []string
	// AcceptUnknown applies these rules (ids, globs or "all") despite
	// unknown impact at disruption medium or above.
	AcceptUnknown []string
	Change        Change
	MaxDisruption string
	NoReboot      bool
	Strategies    []string
	NoPreflight   bool
	// Learn samples impact signals on the live host for this long
	// before planning, every LearnEvery.
	Learn, LearnEvery time.Duration
	Progress          Progress
}

// FixOutput is the plan, or the applied run.
type FixOutput struct {
	Document *fix.Document
}

// Fix plans fixes for the failing rules and, with Apply, journals and
// applies them, verifies and logs the run. When an apply fails part-way
// both the document (with the run to roll back) and the error are
// returned.
func (a *App) Fix(ctx context.Context, in FixInput) (*FixOutput, error) {
	if err := checkFixInput(in); err != nil {
		return nil, err
	}
	eng, opts, err := a.selection(in.Selection)
	if err != nil {
		return nil, err
	}
	if _, err := eng.Plan(opts); err != nil {
		return nil, Input(err)
	}
	for _, id := range in.Force {
		if msg := eng.Rules.UnknownID(id); msg != "" {
			return nil, Usagef("--force: %s", msg)
		}
	}
	if err := checkAcceptUnknown(eng, in.AcceptUnknown); err != nil {
		return nil, err
	}
	var clog *changelog.Log
	if in.Apply {
		l, h, err := a.changeControl(in.Target, in.Change)
		if err != nil {
			return nil, err
		}
		// Waiver changes are recorded even when the plan turns out empty.
		if err := recordWaiverChanges(ctx, h, l, opts.Waivers, in.Change.ChangeRef, in.Change.Actor, time.Now()); err != nil {
			return nil, fmt.Errorf("record waiver changes: %w", appendErr(err))
		}
		clog = l
	}
	t, err := openTarget(ctx, in.Target)
	if err != nil {
		return nil, err
	}
	defer t.Close()

	p := progressOf(in.Progress)
	fo := fix.Options{Engine: opts, Force: in.Force, AcceptUnknown: in.AcceptUnknown, MaxDisruption: in.MaxDisruption, NoReboot: in.NoReboot, Strategies: in.Strategies}
	if !in.NoPreflight {
		if fo.Impact, err = preflight(ctx, t, in, p); err != nil {
			return nil, err
		}
	}
	fo.Engine.Progress = p.Rules
	plan, err := fix.Make(ctx, eng, t, fo)
	p.End()
	if err != nil {
		return nil, err
	}
	out := &FixOutput{Document: fix.NewDocument(plan, "plan")}
	if !in.Apply || plan.Empty() {
		return out, nil
	}
	doc, err := a.apply(ctx, in, eng, plan, fo, clog)
	if doc == nil {
		return nil, err
	}
	out.Document = doc
	return out, err
}

func checkFixInput(in FixInput) error {
	if in.MaxDisruption != "" && !fix.ValidDisruption(in.MaxDisruption) {
		return Usagef("maximum disruption: want low, medium or high, got %q", in.MaxDisruption)
	}
	for _, s := range in.Strategies {
		if !fix.ValidStrategy(s) {
			return Usagef("unknown strategy %q (want configure, disable, enable, install, remove or restrict)", s)
		}
	}
	if _, ok := writableRoot(in.Target); in.Apply && !ok {
		return Usagef("%s cannot be changed: rebuild it with the planned changes, or fix the root filesystem it is built from", in.Target.ID())
	}
	if in.Learn > 0 && !in.Target.IsHost() {
		return Usagef("learning samples the running system and only works on the live host")
	}
	if in.Learn > 0 && (in.LearnEvery <= 0 || in.LearnEvery > in.Learn) {
		return Usagef("the learning interval must be positive and at most the learning time")
	}
	return nil
}

// checkAcceptUnknown refuses --accept-unknown patterns that match no rule:
// a typo would otherwise leave the fix refused with no word why the
// acceptance did not apply. The tailoring's accept_unknown is checked with
// the rest of the tailoring (engine.Plan).
func checkAcceptUnknown(eng *engine.Engine, flag []string) error {
	for _, p := range flag {
		if p == fix.AcceptAll {
			continue
		}
		if msg := eng.Rules.Unmatched(p); msg != "" {
			return Usagef("--accept-unknown: %s", msg)
		}
	}
	return nil
}

// preflight collects the impact signals of the target (sampling the live
// host first when asked to learn) and returns them as the plan's
// assessor.
func preflight(ctx context.Context, t target.Target, in FixInput, p Progress) (fix.Assessor, error) {
	opts := impact.Options{Now: time.Now()}
	if in.Learn <= 0 {
		s, err := impact.Collect(ctx, t, opts)
		if err != nil {
			return nil, fmt.Errorf("impact preflight: %w", err)
		}
		return s, nil
	}
	p.Note(fmt.Sprintf("learning impact signals for %s (every %s)...", in.Learn, in.LearnEvery))
	s, err := impact.Learn(ctx, t, in.Learn, in.LearnEvery, opts, func(elapsed time.Duration, samples int) {
		p.Learning(elapsed, in.Learn, samples)
	})
	p.End()
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	for _, line := range s.Summary() {
		p.Note("  " + line)
	}
	return s, nil
}

// Verdict is the outcome of a fix document: Findings when fixes were
// refused, could not be planned or failed verification.
func (o *FixOutput) Verdict() error {
	doc := o.Document
	bad := 0
	for _, st := range []string{fix.StatusRefused, fix.StatusError, fix.StatusStillFails} {
		bad += doc.Summary[st]
	}
	if doc.Mode == "apply" {
		bad += doc.Summary[fix.StatusPartial]
	}
	if bad == 0 {
		if len(doc.Skipped) == 0 {
			return nil
		}
		var ps []string
		for _, s := range doc.Skipped {
			ps = append(ps, s.Path)
		}
		return Findingsf("%d planned path(s) left as they are (changed since the plan, or hard-linked): %s", len(ps), shortList(ps))
	}
	var ids []string
	unknown := 0
	for _, rf := range doc.Rules {
		if slices.Contains([]string{fix.StatusRefused, fix.StatusError, fix.StatusStillFails, fix.StatusPartial}, rf.Status) &&
			(doc.Mode == "apply" || rf.Status != fix.StatusPartial) {
			ids = append(ids, rf.Rule)
		}
		if rf.Status == fix.StatusRefused && rf.Impact != nil && rf.Impact.Level == remedy.ImpactUnknown {
			unknown++
		}
	}
	if unknown > 0 {
		return Findingsf("%d rule(s) not fixed: %s; %d refused because their impact is unknown (see --accept-unknown)", bad, shortList(ids), unknown)
	}
	return Findingsf("%d rule(s) not fixed: %s", bad, shortList(ids))
}

// shortList shows up to eight items and how many more there are.
func shortList(ids []string) string {
	if len(ids) > 8 {
		return fmt.Sprintf("%v and %d more", ids[:8], len(ids)-8)
	}
	return fmt.Sprint(ids)
}
