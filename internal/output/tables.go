package output

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cradle-cra/cradle/internal/catalog"
	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/drift"
	"github.com/cradle-cra/cradle/internal/journal"
	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/version"
)

const tableTime = "2006-01-02 15:04:05Z"

// driftTable writes a drift report for a terminal: the approval, then one
// row per difference.
func driftTable(w io.Writer, r *drift.Report, _ Options) error {
	a := r.Approval
	by := a.Actor
	if by == "" {
		by = a.OSUser
	}
	fmt.Fprintf(w, "target %s, approved %s", r.Target, r.ApprovedAt.Format(tableTime))
	if by != "" {
		fmt.Fprintf(w, " by %s", cell(by))
	}
	if a.ChangeRef != "" {
		fmt.Fprintf(w, " (%s)", cell(a.ChangeRef))
	}
	fmt.Fprintln(w)
	if len(r.Items) == 0 {
		_, err := fmt.Fprintln(w, "no drift")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIRST SEEN\tKIND\tCHANGE\tSUBJECT\tBEFORE\tAFTER")
	for _, it := range r.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", it.FirstSeen.Format(tableTime), it.Kind, it.Change,
			cell(itemSubject(it)), cell(it.Before), cell(it.After))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d difference(s); exact values: --format json\n", len(r.Items))
	return err
}

// itemSubject names what a drift item is about: rule, path and attribute.
func itemSubject(it drift.Item) string {
	subject := it.Rule
	if it.Path != "" {
		if subject != "" {
			subject += " "
		}
		subject += it.Path
	}
	if it.Attr != "" {
		subject += " (" + it.Attr + ")"
	}
	return subject
}

// eventsTable writes watch events one row each.
func eventsTable(w io.Writer, evs *[]drift.Event, _ Options) error {
	if len(*evs) == 0 {
		_, err := fmt.Fprintln(w, "no events")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEVENT\tTARGET\tKIND\tCHANGE\tSUBJECT\tBEFORE\tAFTER")
	for _, ev := range *evs {
		kind, change, subject, before, after := "", "", ev.Error, "", ""
		if it := ev.Item; it != nil {
			kind, change, subject, before, after = it.Kind, it.Change, itemSubject(*it), it.Before, it.After
		}
		if c := ev.Change; c != nil { // fim watch
			kind, change, subject = c.Type, c.Kind, c.Path
			for _, d := range c.Diffs {
				before, after = joinCell(before, d.Attr+"="+d.Old), joinCell(after, d.Attr+"="+d.New)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ev.Time.UTC().Format(tableTime), cell(ev.Event), cell(ev.Target),
			cell(kind), cell(change), cell(subject), cell(before), cell(after))
	}
	return tw.Flush()
}

func joinCell(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// eventsJSON writes watch events as JSON Lines, byte for byte what
// cradle watch emits.
func eventsJSON(w io.Writer, evs *[]drift.Event, _ Options) error {
	for _, ev := range *evs {
		b, err := JSONLine(ev)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// runsTable writes a run list, newest first as listed.
func runsTable(w io.Writer, l *journal.RunList, _ Options) error {
	if len(l.Runs) == 0 {
		_, err := fmt.Fprintln(w, "no runs")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tWHO\tCHANGE REF\tOPS\tSTATE\tRULES")
	for _, r := range l.Runs {
		who := r.User
		if r.Actor != "" {
			who = r.Actor + " (" + r.User + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%d\n", r.ID, r.Time.UTC().Format(time.RFC3339), who, dash(r.ChangeRef), r.Ops, r.State, len(r.Rules))
	}
	return tw.Flush()
}

// logTable writes change log entries, oldest first. An empty log writes
// nothing (cradle log says so on standard error).
func logTable(w io.Writer, l *changelog.Listing, _ Options) error {
	if len(l.Entries) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tRULES\tCHANGE REF\tREASON")
	for _, e := range l.Entries {
		ts := e.Time
		if t, err := time.Parse(time.RFC3339Nano, e.Time); err == nil {
			ts = t.UTC().Format(tableTime)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, cell(ts), cell(e.Actor.String()), cell(e.Action),
			cell(strings.Join(e.Rules, ",")), cell(e.ChangeRef), cell(e.Reason))
	}
	return tw.Flush()
}

// versionTable writes which build this is, one "name: value" a line.
func versionTable(w io.Writer, d *version.Document, _ Options) error {
	rev := d.Revision
	if rev == "" {
		rev = "unknown"
	}
	if d.Modified {
		rev += " (modified)"
	}
	when := d.Time
	if when == "" {
		when = "unknown"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "version:\t%s\n", d.Version)
	fmt.Fprintf(tw, "revision:\t%s\n", rev)
	fmt.Fprintf(tw, "time:\t%s\n", when)
	fmt.Fprintf(tw, "go:\t%s\n", d.GoVersion)
	fmt.Fprintf(tw, "platform:\t%s/%s\n", d.OS, d.Arch)
	return tw.Flush()
}

// rulesTable lists rules one a line with their CRA references, or shows
// the rules asked for by id in full.
func rulesTable(w io.Writer, l *catalog.RuleList, _ Options) error {
	if len(l.Selected) > 0 {
		return ruleDetails(w, l)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tPROFILES\tCRA\tTITLE")
	for _, r := range l.Rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Severity, strings.Join(r.Profiles, ","), strings.Join(r.References["cra"], ","), r.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d rules; cradle rules ID shows one in full (parameters, fix, CRA points)\n", len(l.Rules))
	return err
}

func keysTable(w io.Writer, l *signing.KeyList, _ Options) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tSTATUS")
	for _, k := range l.Keys {
		created := "-"
		if !k.Created.IsZero() {
			created = k.Created.UTC().Format(tableTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.ID, created, k.Status)
	}
	return tw.Flush()
}
