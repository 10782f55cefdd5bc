package fix

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/journal"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
)

// SchemaVersion and Kind head the JSON document of cradle fix
// (docs/schemas/fix_plan.schema.json). Version 1.2 added preflight
// (the sources read and missing) and the impact level unknown; 1.1 added
// kind; 1.0 was written as "1".
const (
	SchemaVersion = "1.2"
	Kind          = "fix_plan"
)

// RunRef identifies the journal run an apply created.
type RunRef struct {
	ID    string `json:"id"`
	State string `json:"state"`
	Paths int    `json:"paths"`
	// Rollback is the command that undoes the run.
	Rollback string `json:"rollback"`
}

// Document is what cradle fix reports: the plan (operations that are, or
// with --apply were, applied), what was deferred or refused, and a
// verdict per failing rule. One model, rendered as table or JSON.
type Document struct {
	SchemaVersion string        `json:"schema_version"`
	Kind          string        `json:"kind"`
	Tool          result.Tool   `json:"tool"`
	Target        result.Target `json:"target"`
	Profile       string        `json:"profile"`
	Mode          string        `json:"mode"` // "plan" or "apply"
	Plan          []remedy.Op   `json:"plan"`
	Deferred      []remedy.Op   `json:"deferred"`
	Refused       []remedy.Op   `json:"refused"`
	Rules         []RuleFix     `json:"rules"`
	// Preflight lists the sources the impact preflight read and missed
	// (absent with --no-preflight).
	Preflight *Preflight `json:"preflight,omitempty"`
	Run       *RunRef    `json:"run,omitempty"`
	// Skipped lists the planned paths --apply left alone, and why (one
	// changed since the plan, has other hard links, or shares a rule with
	// such a path).
	Skipped []journal.Skip `json:"skipped,omitempty"`
	Summary map[string]int `json:"summary"`
}

// MarkSkipped records the paths an apply skipped; the rules they belong
// to become "skipped" with the reason, and count as not fixed.
func (d *Document) MarkSkipped(sk []journal.Skip) {
	d.Skipped = sk
	for _, s := range sk {
		for i := range d.Rules {
			rf := &d.Rules[i]
			if !slices.Contains(s.Rules, rf.Rule) || (rf.Status != StatusPlanned && rf.Status != StatusPartial) {
				continue
			}
			d.Summary[rf.Status]--
			rf.Status, rf.Reason = StatusSkipped, s.Path+": "+s.Reason
			d.Summary[rf.Status]++
		}
	}
}

// NewDocument builds the report of p.
func NewDocument(p *Plan, mode string) *Document {
	d := &Document{
		SchemaVersion: SchemaVersion, Kind: Kind, Tool: p.Before.Tool, Target: p.Before.Target, Profile: p.Before.Profile, Mode: mode,
		Plan: nonNil(p.Applied), Deferred: nonNil(p.Deferred), Refused: nonNil(p.Refused), Rules: p.Rules,
		Summary: map[string]int{},
	}
	if d.Rules == nil {
		d.Rules = []RuleFix{}
	}
	if p.Sources != nil {
		d.Preflight = &Preflight{Sources: p.Sources}
	}
	for _, rf := range p.Rules {
		d.Summary[rf.Status]++
	}
	d.Summary["operations"] = len(d.Plan)
	return d
}

func nonNil(ops []remedy.Op) []remedy.Op {
	if ops == nil {
		return []remedy.Op{}
	}
	return ops
}

// JSON writes the document as indented JSON, headed by the current
// schema version and kind whatever d was read from.
func (d *Document) JSON(w io.Writer) error {
	c := *d
	c.SchemaVersion, c.Kind = SchemaVersion, Kind
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&c)
}

// Table writes the document for a terminal: per rule its verdict, then
// each operation with its diff or state change and impact.
func (d *Document) Table(w io.Writer, showDiff bool) error {
	var b strings.Builder
	tgt := d.Target.Name
	if d.Target.OS != "" {
		tgt += " (" + d.Target.OS + ")"
	}
	fmt.Fprintf(&b, "cradle fix: %s, profile %s\n", tgt, d.Profile)
	switch {
	case d.Mode == "plan" && len(d.Plan) == 0:
		b.WriteString("Nothing to change.\n")
	case d.Mode == "plan":
		b.WriteString("Dry run: nothing has been changed. Re-run with --apply to make these changes.\n")
	case d.Run != nil && d.Run.State != "applied":
		fmt.Fprintf(&b, "Run %s is %s; undo what was done with: %s\n", d.Run.ID, d.Run.State, d.Run.Rollback)
	case d.Run != nil:
		fmt.Fprintf(&b, "Applied as run %s (undo with: %s).\n", d.Run.ID, d.Run.Rollback)
	}
	byRule := map[string][]remedy.Op{}
	for _, list := range [][]remedy.Op{d.Plan, d.Deferred, d.Refused} {
		for _, op := range list {
			byRule[op.Rule] = append(byRule[op.Rule], op)
		}
	}
	for _, rf := range d.Rules {
		fmt.Fprintf(&b, "\n%s [%s] %s", rf.Rule, rf.Severity, strings.ToUpper(strings.ReplaceAll(rf.Status, "_", " ")))
		if rf.Impact != nil && rf.Impact.Level != remedy.ImpactNone {
			fmt.Fprintf(&b, ", impact %s", rf.Impact.Level)
		}
		b.WriteString("\n")
		if rf.Title != "" {
			fmt.Fprintf(&b, "  %s\n", rf.Title)
		}
		if rf.Reason != "" {
			fmt.Fprintf(&b, "  reason: %s\n", rf.Reason)
		}
		if rf.Impact != nil {
			for _, e := range rf.Impact.Evidence {
				if !strings.Contains(rf.Reason, e) { // a refusal names its cause
					fmt.Fprintf(&b, "  evidence: %s\n", e)
				}
			}
		}
		for _, op := range byRule[rf.Rule] {
			writeOp(&b, op, showDiff)
		}
	}
	writeSources(&b, d.Preflight)
	if len(d.Skipped) > 0 {
		b.WriteString("\nLeft as they are (not changed by this run):\n")
		for _, s := range d.Skipped {
			fmt.Fprintf(&b, "  - %s: %s\n", s.Path, s.Reason)
		}
	}
	b.WriteString("\n")
	writeSummary(&b, d)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSources lists what the preflight read and missed: a verdict of
// none stands on the sources read, unknown on those missing.
func writeSources(b *strings.Builder, p *Preflight) {
	if p == nil || len(p.Sources) == 0 {
		return
	}
	b.WriteString("\nPreflight sources:\n")
	for _, src := range p.Sources {
		fmt.Fprintf(b, "  %-8s %s", src.Status, src.Name)
		if len(src.Paths) > 0 {
			fmt.Fprintf(b, ": %s", strings.Join(src.Paths, ", "))
		}
		if src.Detail != "" {
			fmt.Fprintf(b, " (%s)", src.Detail)
		}
		b.WriteString("\n")
	}
}

func writeOp(b *strings.Builder, op remedy.Op, showDiff bool) {
	fmt.Fprintf(b, "  - %s", op.Kind)
	if op.Path != "" {
		fmt.Fprintf(b, " %s", op.Path)
	}
	if op.Summary != "" {
		fmt.Fprintf(b, ": %s", op.Summary)
	}
	if op.From != "" || op.To != "" {
		fmt.Fprintf(b, " (%s -> %s)", orDash(op.From), orDash(op.To))
	}
	b.WriteString("\n")
	if op.Reason != "" && op.Kind == remedy.KindDeferred {
		fmt.Fprintf(b, "    not applied: %s\n", op.Reason)
	}
	if showDiff && op.Diff != "" {
		for _, l := range strings.SplitAfter(strings.TrimRight(op.Diff, "\n"), "\n") {
			b.WriteString("    " + strings.TrimRight(l, "\n") + "\n")
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeSummary(b *strings.Builder, d *Document) {
	var parts []string
	for _, st := range []string{StatusFixed, StatusStillFails, StatusPlanned, StatusPartial, StatusDeferred, StatusRefused, StatusSkipped, StatusManual, StatusError} {
		if n := d.Summary[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(st, "_", " ")))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no failing rule")
	}
	fmt.Fprintf(b, "Rules: %s. Operations: %d.", strings.Join(parts, ", "), len(d.Plan))
	if len(d.Skipped) > 0 {
		fmt.Fprintf(b, " Paths skipped: %d.", len(d.Skipped))
	}
	b.WriteString("\n")
}
