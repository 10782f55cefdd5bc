package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/scap/xccdf"
	"github.com/cradle-cra/cradle/internal/target"
)

// SCAPScanInput is a scan against SCAP content (cradle scan --scap).
type SCAPScanInput struct {
	Target    target.Spec
	Content   string // a source data stream or a plain XCCDF 1.2 benchmark
	Profile   string // XCCDF Profile id; "" for the benchmark's defaults
	Tailoring string // XCCDF tailoring file
	Progress  Progress
	// MaxEvidence bounds each result's evidence (see engine.Options).
	MaxEvidence int
}

// scapGCPercent is the collector's heap growth target during a SCAP scan
// (the default is 100). Most of what a host scan holds is the walk index
// of / (pointer-free entries and names, about 100 MB for 1.5 million
// entries), which a collection need not scan: collecting at half the
// default growth costs little CPU and keeps the peak near 1.5 times the
// live heap instead of twice (docs/performance.md). GOGC overrides it.
const scapGCPercent = 50

// SCAPScan evaluates a target against a profile of SCAP content. Every
// input problem (content, tailoring, profile) is reported before the
// target is opened.
func (a *App) SCAPScan(ctx context.Context, in SCAPScanInput) (*ScanOutput, error) {
	src, sel, err := loadSCAP(in.Content, in.Tailoring, in.Profile)
	if err != nil {
		return nil, Input(err)
	}
	t, err := openTarget(ctx, in.Target)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(scapGCPercent))
	}
	p := progressOf(in.Progress)
	start := time.Now()
	ext, _ := xccdf.Exports(src, sel)
	checker := newOVALChecker(t, ext)
	run, err := xccdf.Evaluate(ctx, src, sel, checker, p.Rules)
	p.End()
	if err != nil {
		return nil, err
	}
	rep := scapReport(a.Version, t, run, in)
	rep.SCAP.RegexEngines = checker.engineNames()
	rep.StartedAt = start.UTC().Truncate(time.Second)
	rep.DurationMS = time.Since(start).Milliseconds()
	for i := range rep.Results {
		rep.Results[i].BoundEvidence(in.MaxEvidence)
	}
	rep.Summarize()
	return &ScanOutput{Report: rep}, nil
}

// loadSCAP opens the content, finds the benchmark holding the profile and
// resolves the profile (through the tailoring file, when given).
func loadSCAP(content, tailoring, profile string) (*xccdf.Source, *xccdf.Selection, error) {
	c, err := xccdf.Open(content)
	if err != nil {
		return nil, nil, err
	}
	var tail *xccdf.Tailoring
	if tailoring != "" {
		data, err := os.ReadFile(tailoring)
		if err != nil {
			return nil, nil, err
		}
		if tail, err = xccdf.ParseTailoring(data); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", tailoring, err)
		}
	}
	var firstErr error
	for _, cl := range c.Checklists() {
		src, err := c.Load(cl)
		if err != nil {
			return nil, nil, err
		}
		sel, err := xccdf.Resolve(src.Benchmark, tail, profile)
		if err == nil {
			return src, sel, nil
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("%s: %w", content, err)
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("%s: no XCCDF benchmark", content)
	}
	return nil, nil, firstErr
}

// SCAPGuard refuses a run where no selected rule applied: content for
// another system "passes" by evaluating nothing, which must not look like
// success. allow turns the refusal off.
func SCAPGuard(rep *result.Report, allow bool) error {
	if rep.SCAP == nil || allow {
		return nil
	}
	selected, na := 0, 0
	for _, r := range rep.Results {
		switch r.Status {
		case result.NotSelected:
			continue
		case result.XCCDFNotApplicable:
			na++
		}
		selected++
	}
	switch {
	case selected == 0:
		return Findingsf("profile %s selects no rule: nothing was evaluated (--allow-all-notapplicable accepts this)", rep.SCAP.Profile)
	case na == selected:
		return Findingsf("ALL %d selected rules are notapplicable: the content (%s) does not apply to this target, so nothing was evaluated (--allow-all-notapplicable accepts this)", selected, rep.SCAP.Benchmark)
	}
	return nil
}

// errNoOVAL marks an OVAL document that could not be read.
var errNoOVAL = errors.New("OVAL content could not be read")

func severityOf(s string) result.Severity {
	if sev, err := result.ParseSeverity(strings.ToLower(s)); err == nil {
		return sev
	}
	return result.SeverityInfo // XCCDF "unknown" (the default) and "info"
}

// SCAPInfo describes SCAP content: its benchmarks, profiles and how many
// rules each selects.
func (a *App) SCAPInfo(path string) (*xccdf.Info, error) {
	c, err := xccdf.Open(path)
	if err != nil {
		return nil, Input(err)
	}
	info, err := xccdf.Describe(c)
	if err != nil {
		return nil, Input(err)
	}
	return info, nil
}
