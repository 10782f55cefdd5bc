package render

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/result"
)

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiGrey   = "\x1b[90m"
)

func statusColor(s result.Status) string {
	switch s {
	case result.Pass:
		return ansiGreen
	case result.Fail:
		return ansiRed
	case result.Error:
		return ansiYellow
	case result.Waived:
		return ansiBlue
	}
	return ansiGrey
}

// Table writes the human summary: non-passing rules, most severe first,
// with their evidence, then counts by status.
func Table(w io.Writer, r *result.Report, opts Options) error {
	// Values from scanned files must not drive the terminal.
	r = mapStrings(r, termSafe)
	bw := &errWriter{w: w}
	paint := func(c, s string) string {
		if !opts.Color {
			return s
		}
		return c + s + ansiReset
	}
	bw.printf("cradle %s — %s target %s", r.Tool.Version, r.Target.Kind, r.Target.Name)
	if r.Target.OS != "" {
		bw.printf(" (%s)", r.Target.OS)
	}
	bw.printf("\nprofile: %s\n\n", r.Profile)
	for _, st := range attentionOrder {
		if !opts.Verbose && (st == result.Pass || st == result.NotApplicable) {
			continue
		}
		rs := bySeverity(r.Results, st)
		for _, res := range rs {
			bw.printf("%s %-8s %s  %s\n", paint(statusColor(st), fmt.Sprintf("%-14s", strings.ToUpper(string(res.Status)))), res.Severity, res.RuleID, res.Title)
			if res.Reason != "" {
				bw.printf("    reason: %s\n", res.Reason)
			}
			if st == result.Fail || opts.Verbose {
				for _, ev := range res.Evidence {
					bw.printf("    %s\n", evidenceLine(ev))
				}
			}
			if st == result.Fail {
				if c := craLine(res.References[refCRA]); c != "" {
					bw.printf("    CRA: %s\n", c)
				}
			}
			if res.Waiver != nil {
				bw.printf("    waiver: %s (owner %s, expires %s)\n", res.Waiver.Justification, orDash(res.Waiver.Owner), orDash(res.Waiver.Expires))
			}
		}
	}
	bw.printf("\n%d rules: ", len(r.Results))
	var parts []string
	for _, st := range r.StatusesOf() {
		parts = append(parts, paint(statusColor(st), fmt.Sprintf("%d %s", r.Summary[st], st)))
	}
	bw.printf("%s\n", strings.Join(parts, ", "))
	nextSteps(bw, r, opts.Rerun)
	return bw.err
}

func evidenceLine(ev result.Evidence) string {
	var b strings.Builder
	if ev.File != "" {
		b.WriteString(ev.File)
		if ev.Line > 0 {
			fmt.Fprintf(&b, ":%d", ev.Line)
		}
		b.WriteString(": ")
	}
	b.WriteString("observed ")
	b.WriteString(orDash(ev.Observed))
	if ev.Expected != "" {
		b.WriteString("; expected ")
		b.WriteString(ev.Expected)
	}
	if ev.Note != "" {
		b.WriteString(" (" + ev.Note + ")")
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// bySeverity returns the results with status st, most severe first, then
// by rule id.
func bySeverity(rs []result.Result, st result.Status) []result.Result {
	var out []result.Result
	for _, r := range rs {
		if r.Status.Base() == st {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, bySeverityThenID)
	return out
}

// bySeverityThenID orders most severe first, then by rule id.
func bySeverityThenID(a, b result.Result) int {
	if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
		return c
	}
	return strings.Compare(a.RuleID, b.RuleID)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}
