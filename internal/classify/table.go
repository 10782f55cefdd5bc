package classify

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Table writes the classification for people.
func (r *Result) Table(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Class: %s\n", r.ClassTitle)
	for _, s := range r.Reasons {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	b.WriteString("\nConformity assessment routes (Art. 32):\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, rt := range r.Routes {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", rt.Module, rt.Verdict, rt.Why)
	}
	tw.Flush()
	if len(r.Notes) > 0 {
		b.WriteString("\nNotes:\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "  %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ListTable writes every category of Annexes III and IV.
func ListTable(w io.Writer) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCLASS\tCATEGORY")
	for _, c := range categories {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Class, c.Title)
	}
	tw.Flush()
	_, err := io.WriteString(w, b.String())
	return err
}
