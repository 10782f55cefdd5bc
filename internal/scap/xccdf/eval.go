package xccdf

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/scap/ds"
)

// OVAL definition result values, as OVAL results names them.
const (
	OVALTrue          = "true"
	OVALFalse         = "false"
	OVALError         = "error"
	OVALUnknown       = "unknown"
	OVALNotApplicable = "not applicable"
	OVALNotEvaluated  = "not evaluated"
)

// XCCDF rule results (XCCDF 1.2 §6.6.4.2).
const (
	Pass          = "pass"
	Fail          = "fail"
	Error         = "error"
	Unknown       = "unknown"
	NotApplicable = "notapplicable"
	NotChecked    = "notchecked"
	NotSelected   = "notselected"
	Informational = "informational"
	Fixed         = "fixed"
)

// CheckResult is what the OVAL engine says about one definition.
type CheckResult struct {
	Value    string // one of the OVAL* constants
	Class    string // the definition's class: compliance, inventory, patch, vulnerability …
	Message  string
	Evidence []result.Evidence
}

// OVAL evaluates OVAL definitions against the target. Exported values
// (External) are fixed for a run; the implementation parses each Doc
// (by Key) once.
type OVAL interface {
	Definition(ctx context.Context, doc Doc, id string) (CheckResult, error)
}

// CheckRef names the check content a result came from.
type CheckRef struct {
	System, Href, Name string
}

// RuleResult is the result of one rule.
type RuleResult struct {
	Rule     *Item
	Result   string
	Severity string
	Weight   float64
	Message  string
	Evidence []result.Evidence
	Checks   []CheckRef
}

// Run is the evaluation of a benchmark under a profile.
type Run struct {
	Source    *Source
	Selection *Selection
	External  map[string][]string
	Results   []RuleResult // every rule of the benchmark, in document order
	Score     float64      // urn:xccdf:scoring:default
	MaxScore  float64
}

// ScoringDefault is the system of the default score.
const ScoringDefault = "urn:xccdf:scoring:default"

type evaluation struct {
	src       *Source
	sel       *Selection
	oval      OVAL
	platCache map[string]applicability
	lastErr   string
	conflicts map[string]bool
}

// Exports returns the OVAL external variables the selected rules export:
// export-name → value, and the names bound to two different values.
func Exports(src *Source, sel *Selection) (map[string][]string, map[string]bool) {
	ext, conflicts := map[string][]string{}, map[string]bool{}
	b := src.Benchmark
	var add func(cs []*Check)
	add = func(cs []*Check) {
		for _, c := range cs {
			for _, x := range c.Exports {
				v, _ := sel.Value(x.ValueID)
				if old, ok := ext[x.Name]; ok && old[0] != v {
					conflicts[x.Name] = true
					continue
				}
				ext[x.Name] = []string{v}
			}
		}
	}
	var addComplex func(c *Complex)
	addComplex = func(c *Complex) {
		add(c.Checks)
		for _, cc := range c.Complex {
			addComplex(cc)
		}
	}
	for _, r := range b.Rules() {
		if !sel.Selected(b, r) {
			continue
		}
		add(r.Checks)
		if r.Complex != nil {
			addComplex(r.Complex)
		}
	}
	return ext, conflicts
}

// Evaluate computes every rule's result. progress, when set, is called
// after each selected rule.
func Evaluate(ctx context.Context, src *Source, sel *Selection, oval OVAL, progress func(done, total int)) (*Run, error) {
	b := src.Benchmark
	ext, conflicts := Exports(src, sel)
	e := &evaluation{src: src, sel: sel, oval: oval, platCache: map[string]applicability{}, conflicts: conflicts}
	run := &Run{Source: src, Selection: sel, External: ext}
	total := 0
	for _, r := range b.Rules() {
		if sel.Selected(b, r) {
			total++
		}
	}
	done := 0
	benchPlat := e.platforms(ctx, b.Platforms)
	for _, r := range b.Rules() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rr := RuleResult{Rule: r, Severity: r.Severity, Weight: weightOf(r.Weight)}
		ref := sel.refine[r.ID]
		if ref.Severity != "" {
			rr.Severity = ref.Severity
		}
		if ref.Weight != "" {
			rr.Weight = weightOf(ref.Weight)
		}
		if !sel.Selected(b, r) {
			rr.Result = NotSelected
			run.Results = append(run.Results, rr)
			continue
		}
		e.rule(ctx, r, ref, benchPlat, &rr)
		run.Results = append(run.Results, rr)
		done++
		if progress != nil {
			progress(done, total)
		}
	}
	run.Score, run.MaxScore = e.score(run), 100
	return run, nil
}

func weightOf(s string) float64 {
	if s == "" {
		return 1
	}
	w, err := strconv.ParseFloat(s, 64)
	if err != nil || w < 0 {
		return 1
	}
	return w
}

// rule evaluates one selected rule.
func (e *evaluation) rule(ctx context.Context, r *Item, ref RefineRule, benchPlat applicability, rr *RuleResult) {
	role := r.Role
	if ref.Role != "" {
		role = ref.Role
	}
	if role == "unchecked" {
		rr.Result, rr.Message = NotChecked, "the rule's role is unchecked"
		return
	}
	if a := e.applies(ctx, r, benchPlat); !a.ok {
		if a.err {
			rr.Result, rr.Message = Error, "applicability: "+a.reason
		} else {
			rr.Result, rr.Message = NotApplicable, a.reason
		}
		return
	}
	var res string
	switch {
	case r.Complex != nil:
		res = e.complex(ctx, r.Complex, rr, 0)
	default:
		c, why := pickCheck(r.Checks, ref.Selector)
		if c == nil {
			rr.Result, rr.Message = NotChecked, why
			return
		}
		res = e.check(ctx, c, rr)
	}
	rr.Result = res
	if res == Pass && role == "unscored" {
		rr.Result = Informational
	}
}

// applies decides the benchmark's, every ancestor group's and the rule's
// platforms.
func (e *evaluation) applies(ctx context.Context, r *Item, benchPlat applicability) applicability {
	if !benchPlat.ok {
		return benchPlat
	}
	var chain []*Item
	for it := r; it != nil; it = e.src.Benchmark.parent[it] {
		chain = append([]*Item{it}, chain...)
	}
	for _, it := range chain {
		if a := e.platforms(ctx, it.Platforms); !a.ok {
			if it != r && !a.err {
				a.reason = fmt.Sprintf("group %s: %s", it.ID, a.reason)
			}
			return a
		}
	}
	return applicability{ok: true}
}

// pickCheck chooses the rule's check: among those with the selector, the
// first whose system cradle evaluates.
func pickCheck(cs []*Check, selector string) (*Check, string) {
	if len(cs) == 0 {
		return nil, "the rule has no check"
	}
	var systems []string
	for _, c := range cs {
		if c.Selector != selector {
			continue
		}
		if c.System == SystemOVAL {
			return c, ""
		}
		systems = append(systems, c.System)
	}
	if len(systems) == 0 {
		return nil, fmt.Sprintf("the rule has no check with selector %q", selector)
	}
	return nil, "no supported check system (the rule's checks use " + strings.Join(systems, ", ") + ")"
}

// check evaluates one OVAL check, mapping the definition result onto an
// XCCDF result (NISTIR 7275r4, table 26).
func (e *evaluation) check(ctx context.Context, c *Check, rr *RuleResult) string {
	if c.System != SystemOVAL {
		rr.Message = "check system " + c.System + " is not supported"
		return NotChecked
	}
	for _, x := range c.Exports {
		if e.conflicts[x.Name] {
			rr.Message = fmt.Sprintf("OVAL variable %s is exported with different values by different rules", x.Name)
			return Error
		}
	}
	if len(c.Refs) == 0 {
		rr.Message = "the check has no check-content-ref"
		return NotChecked
	}
	var doc Doc
	var err error
	var ref ContentRef
	for _, ref = range c.Refs { // the first that resolves
		if doc, err = e.src.resolve(ref.Href); err == nil {
			break
		}
	}
	if errors.Is(err, ds.ErrRemote) {
		rr.Message = "check content: " + err.Error()
		return NotChecked
	}
	if err != nil {
		rr.Message = "check content: " + err.Error()
		return Error
	}
	if ref.Name == "" {
		rr.Message = "a check-content-ref without a definition name (all definitions of " + ref.Href + ") is not supported"
		return NotChecked
	}
	rr.Checks = append(rr.Checks, CheckRef{System: c.System, Href: ref.Href, Name: ref.Name})
	res, err := e.oval.Definition(ctx, doc, ref.Name)
	if err != nil {
		rr.Message = joinMsg(rr.Message, fmt.Sprintf("%s: %v", ref.Name, err))
		return Error
	}
	rr.Evidence = append(rr.Evidence, res.Evidence...)
	if res.Message != "" {
		rr.Message = joinMsg(rr.Message, res.Message)
	}
	out := mapOVAL(res.Value, res.Class)
	if c.Negate {
		out = negate(out)
	}
	return out
}

func joinMsg(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// mapOVAL maps an OVAL definition result onto an XCCDF result: for
// vulnerability and patch definitions true means the problem is present.
func mapOVAL(v, class string) string {
	bad := class == "vulnerability" || class == "patch"
	switch v {
	case OVALTrue:
		if bad {
			return Fail
		}
		return Pass
	case OVALFalse:
		if bad {
			return Pass
		}
		return Fail
	case OVALError:
		return Error
	case OVALUnknown:
		return Unknown
	case OVALNotApplicable:
		return NotApplicable
	case OVALNotEvaluated:
		return NotChecked
	}
	return Error
}

func negate(r string) string {
	switch r {
	case Pass:
		return Fail
	case Fail:
		return Pass
	}
	return r
}

// complex evaluates a complex-check with the XCCDF AND/OR truth tables.
func (e *evaluation) complex(ctx context.Context, c *Complex, rr *RuleResult, depth int) string {
	if depth > 32 {
		rr.Message = "complex-check nested deeper than 32"
		return Error
	}
	var rs []string
	for _, ch := range c.Checks {
		rs = append(rs, e.check(ctx, ch, rr))
	}
	for _, cc := range c.Complex {
		rs = append(rs, e.complex(ctx, cc, rr, depth+1))
	}
	out := Combine(strings.EqualFold(c.Operator, "OR"), rs)
	if c.Negate {
		out = negate(out)
	}
	return out
}

// Combine applies XCCDF's AND (or OR) table to results; notapplicable,
// notchecked, notselected and informational are neutral.
func Combine(or bool, rs []string) string {
	class := func(r string) int { // order of precedence in the tables
		switch r {
		case Pass, Fixed:
			return 0
		case Fail:
			return 1
		case Unknown:
			return 2
		case Error:
			return 3
		}
		return 4 // neutral
	}
	cnt := [5]int{}
	for _, r := range rs {
		cnt[class(r)]++
	}
	switch {
	case !or && cnt[1] > 0, or && cnt[0] == 0 && cnt[2] == 0 && cnt[3] == 0 && cnt[1] > 0:
		return Fail
	case or && cnt[0] > 0, !or && cnt[2] == 0 && cnt[3] == 0 && cnt[0] > 0:
		return Pass
	case cnt[2] > 0:
		return Unknown
	case cnt[3] > 0:
		return Error
	}
	if len(rs) > 0 {
		return rs[0]
	}
	return NotChecked
}

// score computes the default model (XCCDF 1.2 §7.3.2.1) over the group
// tree: a rule counts when it was evaluated to pass, fail, error, unknown
// or fixed; a group's score is the weighted mean of its counted children.
func (e *evaluation) score(run *Run) float64 {
	byRule := map[*Item]*RuleResult{}
	for i := range run.Results {
		byRule[run.Results[i].Rule] = &run.Results[i]
	}
	var node func(items []*Item) (score float64, count int)
	node = func(items []*Item) (float64, int) {
		acc, weights, count := 0.0, 0.0, 0
		for _, it := range items {
			var s float64
			var n int
			var w float64
			switch it.Kind() {
			case "Rule":
				rr := byRule[it]
				if rr == nil {
					continue
				}
				switch rr.Result {
				case Pass, Fixed:
					s, n = 100, 1
				case Fail, Error, Unknown:
					s, n = 0, 1
				}
				w = rr.Weight
			case "Group":
				s, n = node(it.Children)
				w = weightOf(it.Weight)
			default:
				continue
			}
			if n == 0 {
				continue
			}
			acc += s * w
			weights += w
			count++
		}
		if weights == 0 {
			return 0, count
		}
		return acc / weights, count
	}
	s, _ := node(e.src.Benchmark.Items)
	return s
}

// Counts returns how many results have each status, statuses sorted.
func (run *Run) Counts() []struct {
	Result string
	N      int
} {
	m := map[string]int{}
	for _, r := range run.Results {
		m[r.Result]++
	}
	var out []struct {
		Result string
		N      int
	}
	for k, v := range m {
		out = append(out, struct {
			Result string
			N      int
		}{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Result < out[j].Result })
	return out
}
