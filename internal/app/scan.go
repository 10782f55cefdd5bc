package app

import (
	"context"

	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// ScanInput is a scan request.
type ScanInput struct {
	Target    target.Spec
	Selection Selection
	Progress  Progress
	// MaxEvidence bounds each result's evidence (engine.Options.MaxEvidence).
	MaxEvidence int
}

// ScanOutput is a scan's report.
type ScanOutput struct {
	Report *result.Report
}

// Scan evaluates the target against the selection. Every input problem
// is reported before the target is opened.
func (a *App) Scan(ctx context.Context, in ScanInput) (*ScanOutput, error) {
	eng, opts, err := a.selection(in.Selection)
	if err != nil {
		return nil, err
	}
	plan, err := eng.Plan(opts)
	if err != nil {
		return nil, Input(err)
	}
	t, err := openTarget(ctx, in.Target)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	p := progressOf(in.Progress)
	opts.Progress, opts.MaxEvidence = p.Rules, in.MaxEvidence
	rep, err := eng.Scan(ctx, t, plan, opts)
	p.End()
	if err != nil {
		return nil, err
	}
	return &ScanOutput{Report: rep}, nil
}

// openTarget opens the target; a target that cannot be opened is an
// input error.
func openTarget(ctx context.Context, s target.Spec) (target.Target, error) {
	t, err := s.Open(ctx)
	if err != nil {
		if s.IsHost() {
			return nil, err
		}
		return nil, Input(err)
	}
	return t, nil
}

// Gate returns a Findings error when a rule failed or could not be
// evaluated at or above failOn (0: never).
func Gate(rep *result.Report, failOn result.Severity) error {
	if failOn <= 0 {
		return nil
	}
	// An error is a rule that could not be evaluated: as far as a gate
	// knows it may be failing, so it counts like a failure.
	fails, errs := 0, 0
	for _, r := range rep.Results {
		if r.Severity < failOn {
			continue
		}
		switch r.Status.Base() {
		case result.Fail:
			fails++
		case result.Error:
			errs++
		}
	}
	if fails+errs == 0 {
		return nil
	}
	if errs > 0 {
		return Findingsf("%d rule(s) failed and %d could not be evaluated at or above severity %s", fails, errs, failOn)
	}
	return Findingsf("%d rule(s) failed at or above severity %s", fails, failOn)
}
