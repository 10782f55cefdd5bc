package fix

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/impact"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/tailor"
)

// AcceptAll, given to --accept-unknown, accepts unknown impact for every
// rule.
const AcceptAll = "all"

// unknownFloor is the lowest disruption at which a fix of unknown impact
// is refused unless accepted: a low-disruption fix is applied and its
// unknown impact reported.
const unknownFloor = "medium"

// SourceLister is an Assessor that names the sources it read and missed
// (impact.Signals); the plan lists them.
type SourceLister interface {
	SourceList() []impact.Source
}

// Preflight is what the impact preflight looked at, for the plan document.
type Preflight struct {
	// Sources lists every source read, read in part or missing; a verdict
	// of none stands on the sources read, and unknown on those missing.
	Sources []impact.Source `json:"sources"`
}

// acceptedUnknown says who accepted unknown impact for rule: the
// --accept-unknown list (rule ids, globs or "all") or the tailoring's
// accept_unknown; "" when nobody did.
func acceptedUnknown(opts Options, rule string) string {
	if slices.Contains(opts.Force, rule) {
		return "--force" // observed impact accepted: unknown is too
	}
	for _, p := range opts.AcceptUnknown {
		if p == AcceptAll || tailor.MatchAny([]string{p}, rule) {
			return "--accept-unknown"
		}
	}
	if opts.Engine.Tailoring.AcceptsUnknown(rule) {
		return "accept_unknown in " + opts.Engine.Tailoring.Source
	}
	return ""
}

// unknownVerdict decides a rule whose operations include unknown impact
// (and nothing observed): refused when the fix's disruption is medium or
// above (unrated counts as high) and nobody accepted unknown impact for
// the rule; otherwise applied, with the acceptance noted. Deferred
// operations are not applied and do not count. It returns the reason and
// whether the rule is refused; "" and false when no applied operation is
// unknown.
func unknownVerdict(rf RuleFix, ops []*remedy.Op, opts Options) (string, bool) {
	var why []string
	for _, op := range ops {
		if op.Deferred() || op.Impact == nil || op.Impact.Level != remedy.ImpactUnknown {
			continue
		}
		if len(op.Impact.Evidence) > 0 {
			why = append(why, op.Impact.Evidence[0])
		}
	}
	if len(why) == 0 {
		return "", false
	}
	d := rf.Meta.Disruption
	rank, ok := disruptionRank[d]
	if !ok || d == "" {
		d, rank = "unrated", disruptionRank["high"]
	}
	if by := acceptedUnknown(opts, rf.Rule); by != "" {
		return fmt.Sprintf("impact unknown, accepted by %s", by), false
	}
	if rank < disruptionRank[unknownFloor] {
		return "", false
	}
	return fmt.Sprintf("impact unknown at disruption %s: %s; review it and pass --accept-unknown %s (or accept_unknown in a tailoring file) to apply",
		d, strings.Join(dedupe(why), "; "), rf.Rule), true
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return remedy.CapEvidence(out, 3)
}
