// Package engine runs a profile's rules against a target: it selects and
// tailors rules, instantiates their checks (failing before any scanning on
// bad input), evaluates them concurrently over one shared fact store and
// overlays waivers, producing a result.Report.
package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/rules"
	"github.com/cradle-cra/cradle/internal/tailor"
	"github.com/cradle-cra/cradle/internal/target"
)

// Engine holds the loaded rule catalogue.
type Engine struct {
	Registry *check.Registry
	Rules    *rules.Set
	Profiles *rules.Profiles
	Version  string
	// Platform detects the target's platform (the facts.PlatformKey
	// fact) for rules that declare platforms; without it such rules
	// are errors.
	Platform facts.Collector[facts.Platform]
	// Lacking returns the traits (rules.Traits) the target lacks, each
	// with the reason a rule requiring it is not_applicable; nil means
	// every target has every trait.
	Lacking func(target.Target) map[string]string
	// TemplateRequires are the traits rules of a template require when
	// they do not say (a rule's own requires, even empty, wins).
	TemplateRequires map[string][]string
}

// Requires returns the traits rule r requires of a target.
func (e *Engine) Requires(r *rules.Rule) []string {
	if r.Requires != nil {
		return r.Requires
	}
	return e.TemplateRequires[r.Template]
}

// Options select and adapt what runs.
type Options struct {
	Profile   string
	Tailoring *tailor.Tailoring
	Waivers   *tailor.Waivers
	// RuleIDs, when set, restricts the run to these rules.
	RuleIDs []string
	Now     time.Time
	Workers int
	// Progress is called after each rule; it may be nil.
	Progress func(done, total int)
	// MaxEvidence bounds the evidence items of each result (see
	// result.Result.BoundEvidence): 0 means result.DefaultMaxEvidence, a
	// negative value no limit.
	MaxEvidence int
}

// Planned is a selected rule with its ready check.
type Planned struct {
	Rule  *rules.Rule
	Check check.Check
}

// Plan selects, tailors and instantiates the rules of a run. Every error
// here is an input error: nothing has been scanned yet.
func (e *Engine) Plan(opts Options) ([]Planned, error) {
	if err := opts.Tailoring.Validate(e.Rules); err != nil {
		return nil, err
	}
	if err := opts.Waivers.Validate(e.Rules); err != nil {
		return nil, err
	}
	profile := e.ResolveProfile(opts)
	selected, err := e.Profiles.Select(e.Rules, profile)
	if err != nil {
		return nil, err
	}
	if t := opts.Tailoring; t != nil {
		var out []*rules.Rule
		for _, r := range e.Rules.Rules {
			in := slices.Contains(selected, r) || t.Selects(r.ID)
			if in && !t.Unselects(r.ID) {
				out = append(out, r)
			}
		}
		selected = out
	}
	if len(opts.RuleIDs) > 0 {
		var out []*rules.Rule
		for _, id := range opts.RuleIDs {
			if msg := e.Rules.UnknownID(id); msg != "" {
				return nil, errors.New(msg)
			}
			r, _ := e.Rules.Lookup(id)
			out = append(out, r)
		}
		selected = out
	}
	plan := make([]Planned, 0, len(selected))
	for _, r := range selected {
		vals := e.Profiles.ParamValues(profile, r.ID)
		if opts.Tailoring != nil {
			for k, v := range opts.Tailoring.Params[r.ID] {
				vals[k] = v
			}
		}
		c, err := r.Instantiate(e.Registry, vals)
		if err != nil {
			return nil, err
		}
		plan = append(plan, Planned{Rule: r, Check: c})
	}
	return plan, nil
}

// Scan evaluates the plan against t.
func (e *Engine) Scan(ctx context.Context, t target.Target, plan []Planned, opts Options) (*result.Report, error) {
	return e.ScanStore(ctx, facts.NewStore(ctx, t), plan, opts)
}

// ScanStore is Scan over an existing fact store, so a caller that goes on
// working with the same facts (cradle fix) does not collect them twice.
func (e *Engine) ScanStore(ctx context.Context, store *facts.Store, plan []Planned, opts Options) (*result.Report, error) {
	t := store.Target()
	start := time.Now()
	now := opts.Now
	if now.IsZero() {
		now = start
	}
	plat, platErr := e.platform(store)
	var lacking map[string]string
	if e.Lacking != nil {
		lacking = e.Lacking(t)
	}
	rep := &result.Report{
		SchemaVersion: result.SchemaVersion,
		Tool:          result.Tool{Name: "cradle", Version: e.Version},
		Target:        result.Target{Kind: string(t.Kind()), Name: t.Name()},
		Profile:       e.ResolveProfile(opts),
		StartedAt:     start.UTC().Truncate(time.Second),
		Results:       make([]result.Result, len(plan)),
	}
	rep.Target.OS = plat.Name
	if b, err := target.ReadFile(t, "etc/hostname"); err == nil {
		rep.Target.Hostname = trimSpace(string(b))
	}
	if t.Kind() == target.KindHost {
		if h, err := os.Hostname(); err == nil {
			rep.Target.Hostname = h
		}
	}
	// Waiver scopes match the target's name and, for the live host only,
	// its hostname: a tree's own etc/hostname is content of the target and
	// must not let it claim another system's waivers.
	names := []string{t.Name()}
	if t.Kind() == target.KindHost {
		names = append(names, rep.Target.Hostname)
	}

	workers := opts.Workers
	if workers <= 0 {
		workers = max(4, runtime.GOMAXPROCS(0)*2)
	}
	var done atomic.Int64
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				rep.Results[i] = e.evaluate(ctx, store, plan[i], scanEnv{plat, platErr, lacking}, opts, names, now)
				n := done.Add(1)
				if opts.Progress != nil {
					opts.Progress(int(n), len(plan))
				}
			}
		}()
	}
	for i := range plan {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.DurationMS = time.Since(start).Milliseconds()
	rep.Summarize()
	return rep, nil
}

// scanEnv is what a scan knows of its target before any rule runs.
type scanEnv struct {
	plat    facts.Platform
	platErr error
	lacking map[string]string // trait → why the target lacks it
}

// unmet returns why the target lacks a trait r requires, or "".
func (e *Engine) unmet(r *rules.Rule, lacking map[string]string) string {
	for _, tr := range e.Requires(r) {
		if why, ok := lacking[tr]; ok {
			return why
		}
	}
	return ""
}

func (e *Engine) evaluate(ctx context.Context, store *facts.Store, p Planned, env scanEnv, opts Options, names []string, now time.Time) (res result.Result) {
	plat, platErr := env.plat, env.platErr
	r := p.Rule
	res = result.Result{
		RuleID: r.ID, Title: r.Title, Severity: r.Severity, References: r.References,
		Description: r.Description, Rationale: r.Rationale, Evidence: []result.Evidence{},
	}
	if f, ok := p.Check.(check.Fixable); ok {
		res.Fixable = f.Fixable()
		if l, ok := p.Check.(check.LiveFix); ok && l.FixNeedsLive() && !store.Target().Live() {
			res.Fixable = false
		}
	}
	wv, expired := opts.Waivers.Lookup(r.ID, names, now)
	if wv != nil && !wv.Run {
		res.Status, res.Waiver = result.Waived, wv.Result()
		res.Reason = "waived without evaluation: " + wv.Justification
		return res
	}
	var out check.Outcome
	switch {
	case platErr != nil && len(r.Platforms) > 0:
		out = check.Errorf("platform detection: %v", platErr)
	case !applies(r.Platforms, plat):
		out = check.NotApplicable("platform %s is not one of %v", platformName(plat), r.Platforms)
	case e.unmet(r, env.lacking) != "":
		out = check.NotApplicable("%s", e.unmet(r, env.lacking))
	default:
		out = safeEvaluate(ctx, store, p.Check)
	}
	res.Status, res.Reason = out.Status, out.Reason
	if out.Evidence != nil {
		res.Evidence = out.Evidence
	}
	if expired != nil && (res.Status == result.Fail || res.Status == result.Error) {
		res.Reason = joinReason(res.Reason, fmt.Sprintf("waiver from %s expired on %s", expired.Source, expired.ExpiresLabel))
	}
	if wv != nil && (res.Status == result.Fail || res.Status == result.Error) {
		res.WaivedStatus = res.Status
		res.Status, res.Waiver = result.Waived, wv.Result()
	}
	res.BoundEvidence(opts.MaxEvidence)
	return res
}

// safeEvaluate turns a panicking check into an error result: one broken
// check must not take down the scan.
func safeEvaluate(ctx context.Context, store *facts.Store, c check.Check) (out check.Outcome) {
	defer func() {
		if v := recover(); v != nil {
			out = check.Errorf("internal error in check: %v", v)
		}
	}()
	return c.Evaluate(ctx, store)
}

// platform returns the target's platform fact.
func (e *Engine) platform(store *facts.Store) (facts.Platform, error) {
	if e.Platform == nil {
		return facts.Platform{}, errors.New("no platform detector configured")
	}
	return facts.Get(store, facts.PlatformKey, e.Platform)
}

func applies(platforms []string, p facts.Platform) bool {
	if len(platforms) == 0 {
		return true
	}
	for _, f := range p.Families {
		if f != "" && slices.Contains(platforms, f) {
			return true
		}
	}
	return false
}

func platformName(p facts.Platform) string {
	if p.ID == "" {
		return "unknown"
	}
	return p.ID
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}

// ResolveProfile returns the profile a run evaluates: the flag, else the
// tailoring's base profile, else "default".
func (e *Engine) ResolveProfile(opts Options) string {
	switch {
	case opts.Profile != "":
		return opts.Profile
	case opts.Tailoring != nil && opts.Tailoring.Profile != "":
		return opts.Tailoring.Profile
	}
	return "default"
}
