package psirt

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// The case document's kind and version (docs/schemas/case_list.schema.json).
const (
	ListKind          = "case_list"
	ListSchemaVersion = "1.0"
)

// List is the document cradle case list/show/new/update writes.
type List struct {
	SchemaVersion string    `json:"schema_version"`
	Kind          string    `json:"kind"`
	Generated     time.Time `json:"generated"`
	Cases         []*View   `json:"cases"`
}

// NewList wraps views.
func NewList(now time.Time, vs []*View) *List {
	if vs == nil {
		vs = []*View{}
	}
	return &List{SchemaVersion: ListSchemaVersion, Kind: ListKind, Generated: now.UTC(), Cases: vs}
}

// Table writes one line per case, then, for a single case, its clocks,
// drafts and history.
func (l *List) Table(w io.Writer) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tSTATUS\tSEVERITY\tREMEDIATION\tNEXT REPORT\tTITLE")
	for _, v := range l.Cases {
		rem := "-"
		if v.Remediation != nil {
			rem = v.Remediation.Status + " " + v.Remediation.Due.Format("2006-01-02")
		}
		next := "-"
		if n := v.Next(); n != nil {
			next = fmt.Sprintf("%s %s due %s (%s)", n.Kind, n.Stage, n.Due.Format("2006-01-02 15:04Z"), n.Status)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Status, v.Severity, rem, next, v.Title)
	}
	tw.Flush()
	if len(l.Cases) == 1 {
		detail(&b, l.Cases[0])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func detail(b *strings.Builder, v *View) {
	if len(v.Clocks) > 0 {
		b.WriteString("\nArticle 14 reports:\n")
		for _, c := range v.Clocks {
			due := "not started (" + c.Starts + ")"
			if c.Due != nil {
				due = "due " + c.Due.Format("2006-01-02 15:04Z")
			}
			fmt.Fprintf(b, "  %-13s %-13s %-15s %s  [%s]\n", c.Kind, c.Stage, c.Status, due, c.Basis)
		}
	}
	for _, d := range v.Drafts {
		fmt.Fprintf(b, "\nDraft %s %s:\n", d.Kind, d.Stage)
		for _, it := range d.Items {
			text := it.Text
			if it.Missing {
				text = "(to fill in)"
			}
			fmt.Fprintf(b, "  - %s: %s\n", it.Item, text)
		}
	}
	if len(v.Events) > 0 {
		b.WriteString("\nHistory:\n")
		for _, e := range v.Events {
			changes := string(e.Changes)
			if e.Action == "new" {
				changes = ""
			}
			fmt.Fprintf(b, "  %d  %s  %-8s %-7s %s %s\n", e.Seq, e.Time.Format("2006-01-02 15:04Z"), e.Actor, e.Action, changes, e.Note)
		}
	}
}
