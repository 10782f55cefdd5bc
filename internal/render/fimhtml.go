package render

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/cradle-cra/cradle/internal/fim"
)

// The fim report as one self-contained HTML page: inline CSS, no script,
// nothing loaded (the Content-Security-Policy forbids every load).
// html/template escapes every value for its context; names of the target
// are passed through fim.Printable first.

//go:embed fim.html.tmpl
var fimHTMLSource string

var fimHTMLTemplate = template.Must(template.New("fim").Parse(fimHTMLSource))

type fimHTMLView struct {
	R                     *fim.Report
	Target, Policy, Time  string
	Verdict, VerdictClass string
	Tampering             int
	Changes               []fimHTMLChange
	Problems              []fim.Problem
	Entries               []fimHTMLEntry
}

type fimHTMLChange struct {
	Level, Kind, Type, Path string
	Unstable                bool
	Diffs                   []fim.Diff
}

type fimHTMLEntry struct {
	Type, Mode, Path, SHA256 string
	UID, GID                 uint32
	Size                     int64
}

// Show makes a target name safe to read (fim.Printable).
func (fimHTMLView) Show(s string) string { return fim.Printable(s) }

// Stamp formats a time in UTC.
func (fimHTMLView) Stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// FIMHTML writes a fim report as a self-contained HTML page.
func FIMHTML(w io.Writer, r *fim.Report) error {
	r = r.Portable()
	v := fimHTMLView{R: r, Target: fim.Printable(r.Target), Policy: fim.Printable(r.Policy.Name), Time: fimHTMLView{}.Stamp(r.Time)}
	switch {
	case r.Command != fim.CmdCheck && r.Command != fim.CmdUpdate:
		v.Verdict = "fim " + r.Command + " compares nothing: this report lists what the database records."
	case r.Summary.Entries == 0 && len(r.Changes) == 0:
		v.Verdict = "Nothing compared: the walk found no entry the policy selects."
	case len(r.Changes) > 0:
		v.Verdict, v.VerdictClass = fmt.Sprintf("%d change(s) since the integrity database.", len(r.Changes)), "fail"
	default:
		v.Verdict, v.VerdictClass = fmt.Sprintf("No change: %d entries match the integrity database.", r.Summary.Entries), "pass"
	}
	for _, c := range r.Changes {
		hc := fimHTMLChange{Level: fimLevel(c), Kind: c.Kind, Type: c.Type, Path: fim.Printable(c.Path), Unstable: c.Unstable}
		if hc.Level == "error" {
			v.Tampering++
		}
		for _, d := range c.Diffs {
			hc.Diffs = append(hc.Diffs, fim.Diff{Attr: d.Attr, Old: orDash(fim.Printable(d.Old)), New: orDash(fim.Printable(d.New))})
		}
		v.Changes = append(v.Changes, hc)
	}
	for _, p := range r.Problems {
		v.Problems = append(v.Problems, fim.Problem{Path: fim.Printable(p.Path), Error: fim.Printable(p.Error)})
	}
	for _, e := range r.Entries {
		he := fimHTMLEntry{Type: e.Type, Mode: fmt.Sprintf("%04o", e.Mode), Path: fim.Printable(e.Path), SHA256: orDash(e.SHA256),
			UID: e.UID, GID: e.GID, Size: e.Size}
		if e.Type == fim.TypeSymlink {
			he.Path += " -> " + fim.Printable(e.Target)
		}
		v.Entries = append(v.Entries, he)
	}
	if err := fimHTMLTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("html: %w", err)
	}
	return nil
}
