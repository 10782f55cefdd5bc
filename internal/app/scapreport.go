package app

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/scap/probes"
	"github.com/cradle-cra/cradle/internal/scap/xccdf"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/xmlsafe"
)

// scapReport turns an XCCDF run into cradle's report: every rule of the
// benchmark in document order, its XCCDF result as status.
func scapReport(version string, t target.Target, run *xccdf.Run, in SCAPScanInput) *result.Report {
	b := run.Source.Benchmark
	rep := &result.Report{
		SchemaVersion: result.SchemaVersion, Kind: result.ReportKind,
		Tool:    result.Tool{Name: "cradle", Version: version},
		Target:  result.Target{Kind: string(t.Kind()), Name: t.Name(), OS: osName(t)},
		Profile: run.Selection.ProfileID,
		SCAP: &result.SCAPRun{
			Content: in.Content, DataStream: run.Source.Stream, Benchmark: b.ID,
			BenchmarkVersion: strings.TrimSpace(b.Version.Inner), BenchmarkTitle: xccdf.Title(b.Title),
			Profile: run.Selection.ProfileID, ProfileTitle: run.Selection.ProfileTitle, Tailoring: in.Tailoring,
			ScoreSystem: xccdf.ScoringDefault, Score: run.Score, MaxScore: run.MaxScore,
			Source: run.Source.CollectionData(),
		},
	}
	if b, err := target.ReadFile(t, "etc/hostname"); err == nil {
		rep.Target.Hostname = strings.TrimSpace(string(b))
	}
	if t.Kind() == target.KindHost {
		if h, err := os.Hostname(); err == nil {
			rep.Target.Hostname = h
		}
	}
	exported := map[string]bool{}
	for _, rr := range run.Results {
		r := rr.Rule
		res := result.Result{
			RuleID: r.ID, Title: xccdf.Title(r.Title), Status: result.Status(rr.Result),
			Severity: severityOf(rr.Severity), Reason: rr.Message,
			References: map[string][]string{}, Evidence: rr.Evidence,
			Description: xccdf.Title(r.Desc), Rationale: xccdf.Title(r.Rationale),
			SCAP: &result.SCAPResult{Weight: rr.Weight, Role: r.Role},
		}
		if res.Evidence == nil {
			res.Evidence = []result.Evidence{}
		}
		for _, id := range r.Idents {
			v := strings.TrimSpace(id.Value)
			res.SCAP.Idents = append(res.SCAP.Idents, result.Ident{System: id.System, Value: v})
			k := refKey(id.System)
			res.References[k] = append(res.References[k], v)
		}
		for _, ref := range r.References {
			k := refKey(ref.Href)
			for _, v := range strings.Split(ref.Value, ",") {
				if v = strings.TrimSpace(v); v != "" && !slices.Contains(res.References[k], v) {
					res.References[k] = append(res.References[k], v)
				}
			}
		}
		for _, c := range rr.Checks {
			res.SCAP.Checks = append(res.SCAP.Checks, result.SCAPCheck{System: c.System, Href: c.Href, Name: c.Name})
		}
		for _, c := range r.Checks {
			for _, x := range c.Exports {
				exported[x.ValueID] = exported[x.ValueID] || rr.Result != xccdf.NotSelected
			}
		}
		rep.Results = append(rep.Results, res)
	}
	for id, used := range exported {
		if !used {
			continue
		}
		v, _ := run.Selection.Value(id)
		rep.SCAP.Values = append(rep.SCAP.Values, result.SCAPValue{ID: id, Value: v})
	}
	sort.Slice(rep.SCAP.Values, func(i, j int) bool { return rep.SCAP.Values[i].ID < rep.SCAP.Values[j].ID })
	return rep
}

// refKey names a reference or ident system the way cradle's reports do.
func refKey(system string) string {
	s := strings.ToLower(system)
	switch {
	case strings.Contains(s, "cce"):
		return "cce"
	case strings.Contains(s, "800-53"):
		return "nist_800_53"
	case strings.Contains(s, "cisecurity") || strings.Contains(s, "/cis"):
		return "cis"
	case strings.Contains(s, "stig") || strings.Contains(s, "iase.disa.mil") || strings.Contains(s, "public.cyber.mil"):
		return "stig"
	case strings.Contains(s, "anssi"):
		return "anssi"
	case strings.Contains(s, "pcisecuritystandards"):
		return "pcidss"
	}
	return system
}

// osName reads PRETTY_NAME from the target's os-release.
func osName(t target.Target) string {
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		b, err := target.ReadFile(t, p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "PRETTY_NAME="); ok {
				return strings.Trim(v, `"'`)
			}
		}
	}
	return ""
}

// ovalChecker evaluates OVAL definitions for the XCCDF layer: one parsed
// document and one evaluator (which memoises objects and tests) per
// document of the content.
type ovalChecker struct {
	t       target.Target
	ext     map[string][]string
	probes  oval.Registry
	docs    map[string]*ovalDoc
	engines map[string]bool
}

type ovalDoc struct {
	doc *oval.Document
	ev  *oval.Evaluator
	err error
}

func newOVALChecker(t target.Target, ext map[string][]string) *ovalChecker {
	return &ovalChecker{t: t, ext: ext, probes: probes.Default(), docs: map[string]*ovalDoc{}, engines: map[string]bool{}}
}

func (o *ovalChecker) Definition(ctx context.Context, d xccdf.Doc, id string) (xccdf.CheckResult, error) {
	od := o.docs[d.Key]
	if od == nil {
		od = &ovalDoc{}
		od.doc, od.err = oval.ParseBytes(d.Data, d.NS, xmlsafe.Limits{})
		if od.err == nil {
			od.ev = oval.NewEvaluator(od.doc, oval.Env{Target: o.t, Probes: o.probes, External: o.ext})
		} else {
			od.err = fmt.Errorf("%w: %s: %v", errNoOVAL, d.Key, od.err)
		}
		o.docs[d.Key] = od
	}
	if od.err != nil {
		return xccdf.CheckResult{}, od.err
	}
	def := od.doc.Definition(id)
	if def == nil {
		return xccdf.CheckResult{}, fmt.Errorf("no OVAL definition %s in %s", id, d.Key)
	}
	r, err := od.ev.Definition(ctx, id)
	if err != nil {
		return xccdf.CheckResult{}, err
	}
	for _, e := range r.RegexEngines {
		o.engines[e] = true
	}
	cr := xccdf.CheckResult{Value: string(r.Value), Class: def.Class, Message: r.Message}
	for _, te := range r.Tests {
		ev := result.Evidence{
			Observed: fmt.Sprintf("%s %s: %s (%d item(s)%s)", te.Type, te.ID, te.Result, te.Items, flagNote(string(te.Flag))),
			Note:     strings.Join(append(nonEmpty(te.Message), te.Notes...), "; "),
		}
		cr.Evidence = append(cr.Evidence, ev)
	}
	return cr, nil
}

func flagNote(f string) string {
	if f == "" || f == "complete" {
		return ""
	}
	return ", collection " + f
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func (o *ovalChecker) engineNames() []string {
	var out []string
	for e := range o.engines {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}
