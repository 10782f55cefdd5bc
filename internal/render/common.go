package render

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/cradle-cra/cradle/internal/result"
)

// Reference keys with a dedicated meaning in every format.
const (
	refCRA  = "cra"
	refNIST = "nist_800_53"
)

// severitiesDesc lists the valid severities, most severe first.
var severitiesDesc = []result.Severity{
	result.SeverityCritical, result.SeverityHigh, result.SeverityMedium, result.SeverityLow, result.SeverityInfo,
}

// attentionOrder is the order in which human-oriented formats list
// statuses: what needs action first.
var attentionOrder = []result.Status{result.Fail, result.Error, result.Waived, result.NotApplicable, result.Pass}

// area returns the rule's area: the id up to its first dot ("ssh" for
// "ssh.permit_root_login").
func area(ruleID string) string {
	if i := strings.IndexByte(ruleID, '.'); i > 0 {
		return ruleID[:i]
	}
	return ruleID
}

// byAttention returns a copy of rs ordered by attentionOrder, then most
// severe first, then by rule id; the report itself is not reordered.
func byAttention(rs []result.Result) []result.Result {
	rank := func(s result.Status) int {
		if i := slices.Index(attentionOrder, s); i >= 0 {
			return i
		}
		return len(attentionOrder)
	}
	out := slices.Clone(rs)
	slices.SortStableFunc(out, func(a, b result.Result) int {
		if c := rank(a.Status) - rank(b.Status); c != 0 {
			return c
		}
		return bySeverityThenID(a, b)
	})
	return out
}

// refKeys returns the reference keys of res: cra and nist_800_53 first,
// then the others sorted, so output never depends on map order.
func refKeys(refs map[string][]string) []string {
	keys := slices.Sorted(maps.Keys(refs))
	out := make([]string, 0, len(keys))
	for _, k := range []string{refCRA, refNIST} {
		if _, ok := refs[k]; ok {
			out = append(out, k)
		}
	}
	for _, k := range keys {
		if k != refCRA && k != refNIST {
			out = append(out, k)
		}
	}
	return out
}

// refLabel names a reference key for people.
func refLabel(key string) string {
	switch key {
	case refCRA:
		return "CRA"
	case refNIST:
		return "NIST SP 800-53"
	}
	return key
}

// unsafeRune reports control characters and the bidirectional overrides
// that can make displayed text differ from its content.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
}

// termSafe makes s safe to print on a terminal: control characters (ANSI
// escapes from a hostile config file, newlines inside a value) are shown
// as Go escapes instead of being interpreted.
func termSafe(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// visible replaces control characters other than newline and tab, and
// bidirectional overrides, with Go-style escapes: markup escaping cannot
// stop a right-to-left override from reordering what a reader sees.
func visible(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && r != '\t' && unsafeRune(r) }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r != '\n' && r != '\t' && unsafeRune(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mapStrings returns a deep copy of r with f applied to every string a
// report value can carry into the output.
func mapStrings(r *result.Report, f func(string) string) *result.Report {
	c := *r
	c.Tool = result.Tool{Name: f(r.Tool.Name), Version: f(r.Tool.Version)}
	c.Target = result.Target{Kind: f(r.Target.Kind), Name: f(r.Target.Name), OS: f(r.Target.OS), Hostname: f(r.Target.Hostname)}
	c.Profile = f(r.Profile)
	c.Results = make([]result.Result, len(r.Results))
	for i, res := range r.Results {
		res.RuleID, res.Title, res.Reason = f(res.RuleID), f(res.Title), f(res.Reason)
		res.Description, res.Rationale = f(res.Description), f(res.Rationale)
		if res.References != nil {
			refs := make(map[string][]string, len(res.References))
			for k, ids := range res.References {
				out := make([]string, len(ids))
				for j, id := range ids {
					out[j] = f(id)
				}
				refs[f(k)] = out
			}
			res.References = refs
		}
		evs := make([]result.Evidence, len(res.Evidence))
		for j, ev := range res.Evidence {
			evs[j] = result.Evidence{Expected: f(ev.Expected), Observed: f(ev.Observed), File: f(ev.File), Line: ev.Line, Note: f(ev.Note)}
		}
		res.Evidence = evs
		if w := res.Waiver; w != nil {
			res.Waiver = &result.Waiver{Justification: f(w.Justification), Owner: f(w.Owner), Expires: f(w.Expires), Source: f(w.Source)}
		}
		c.Results[i] = res
	}
	return &c
}

// baseStatuses returns r with every XCCDF status replaced by the one of
// cradle's five it falls under (result.Status.Base), the XCCDF name kept
// at the head of the reason, for formats built around those five.
func baseStatuses(r *result.Report) *result.Report {
	c := *r
	c.Results = slices.Clone(r.Results)
	changed := false
	for i := range c.Results {
		res := &c.Results[i]
		if b := res.Status.Base(); b != res.Status {
			res.Reason = strings.TrimSuffix("XCCDF result "+string(res.Status)+": "+res.Reason, ": ")
			res.Status, changed = b, true
		}
	}
	if changed {
		c.Summary = baseSummary(r)
	}
	return &c
}
