package fim

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// The report document of every `cradle fim` command.
const (
	ReportKind          = "fim_report"
	ReportSchemaVersion = "1.0"
)

// Commands a report is for.
const (
	CmdInit   = "init"
	CmdCheck  = "check"
	CmdUpdate = "update"
	CmdShow   = "show"
)

// Report is what a fim command found or did.
type Report struct {
	SchemaVersion string     `json:"schema_version"`
	Kind          string     `json:"kind"`
	Command       string     `json:"command"`
	Target        string     `json:"target"`
	Time          time.Time  `json:"time"`
	Policy        PolicyInfo `json:"policy"`
	// Database is the database compared with (check, update, show) or
	// written (init, update: the new one).
	Database *DBInfo `json:"database,omitempty"`
	// Previous is the database an update replaced.
	Previous *DBInfo `json:"previous,omitempty"`
	// PolicyChanged: the database was built with another policy; only
	// attributes both record are compared.
	PolicyChanged bool      `json:"policy_changed,omitempty"`
	Full          bool      `json:"full,omitempty"`
	Summary       Summary   `json:"summary"`
	Changes       []Change  `json:"changes"`
	Problems      []Problem `json:"problems"`
	// Entries are listed by show.
	Entries []*Entry `json:"entries,omitempty"`
	// Attribution summarises Change.Explained (check); Packages is the
	// result of verify-packages.
	Attribution *Attribution  `json:"attribution,omitempty"`
	Packages    *PackageCheck `json:"packages,omitempty"`
}

// PolicyInfo names the policy used.
type PolicyInfo struct {
	Name string `json:"name"`
	Hash string `json:"sha256"`
}

// DBInfo describes a verified database.
type DBInfo struct {
	Path       string    `json:"path"`
	Digest     string    `json:"digest"`
	Seq        uint64    `json:"seq"`
	Created    time.Time `json:"created"`
	Host       string    `json:"host"`
	KeyID      string    `json:"key_id"`
	Entries    int       `json:"entries"`
	PolicyHash string    `json:"policy_sha256"`
}

// Info describes d stored at path.
func (d *DB) Info(path string) *DBInfo {
	return &DBInfo{Path: path, Digest: d.Digest, Seq: d.Header.Seq, Created: d.Header.Created, Host: d.Header.Host,
		KeyID: d.KeyID, Entries: d.Header.Entries, PolicyHash: d.Header.PolicyHash}
}

// Summary counts a report.
type Summary struct {
	Entries  int `json:"entries"`
	Added    int `json:"added"`
	Removed  int `json:"removed"`
	Changed  int `json:"changed"`
	Unstable int `json:"unstable"`
	Problems int `json:"problems"`
	// Hashed files were read; Reused took their digests from the
	// database because their metadata was unchanged.
	Hashed  int     `json:"hashed"`
	Reused  int     `json:"reused"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
}

// NewReport starts a report of command on target with policy p.
func NewReport(command, target string, p *Policy, now time.Time) *Report {
	return &Report{SchemaVersion: ReportSchemaVersion, Kind: ReportKind, Command: command, Target: target,
		Time: now.UTC(), Policy: PolicyInfo{Name: p.Name, Hash: p.Hash()}, Changes: []Change{}, Problems: []Problem{}}
}

// SetWalk records a walk's entries, problems and counters.
func (r *Report) SetWalk(s *Snapshot, took time.Duration) {
	r.Problems = append(r.Problems[:0], s.Problems...)
	r.Summary.Entries, r.Summary.Problems = len(s.Entries), len(s.Problems)
	r.Summary.Hashed, r.Summary.Reused, r.Summary.Bytes = s.Hashed, s.Reused, s.Bytes
	r.Summary.Seconds = took.Round(time.Millisecond).Seconds()
	r.Summary.Unstable = 0
	for _, e := range s.Entries {
		if e.Unstable {
			r.Summary.Unstable++
		}
	}
}

// SetChanges records the comparison's result.
func (r *Report) SetChanges(cs []Change) {
	r.Changes = append([]Change{}, cs...)
	r.Summary.Added, r.Summary.Removed, r.Summary.Changed = 0, 0, 0
	for _, c := range cs {
		switch c.Kind {
		case Added:
			r.Summary.Added++
		case Removed:
			r.Summary.Removed++
		case Changed:
			r.Summary.Changed++
		}
	}
}

// JSON writes the report as indented JSON.
func (r *Report) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Table writes the report for a terminal: what was compared, one block
// per change with each attribute's old and new value, problems, counts.
func (r *Report) Table(w io.Writer) error {
	r = r.Portable() // as a saved report converts
	fmt.Fprintf(w, "fim %s of %s, policy %s (%s)\n", r.Command, safe(r.Target), safe(r.Policy.Name), short(r.Policy.Hash))
	if d := r.Previous; d != nil {
		fmt.Fprintf(w, "previous database %s: seq %d, %d entries, created %s\n", safe(d.Path), d.Seq, d.Entries, d.Created.UTC().Format(time.RFC3339))
	}
	if d := r.Database; d != nil {
		fmt.Fprintf(w, "database %s: seq %d, %d entries, created %s on %s, signed by %s\n", safe(d.Path), d.Seq, d.Entries,
			d.Created.UTC().Format(time.RFC3339), safe(d.Host), safe(d.KeyID))
	}
	if r.PolicyChanged {
		fmt.Fprintln(w, "note: the database was built with another policy; only attributes both record are compared")
	}
	if len(r.Entries) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TYPE\tMODE\tUID\tGID\tSIZE\tPATH\tSHA256")
		for _, e := range r.Entries {
			name := safe(e.Path)
			if e.Type == TypeSymlink {
				name += " -> " + safe(e.Target)
			}
			fmt.Fprintf(tw, "%s\t%04o\t%d\t%d\t%d\t%s\t%s\n", e.Type, e.Mode, e.UID, e.GID, e.Size, name, dash(e.SHA256))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, c := range r.Changes {
		line := c.Kind + " " + c.Type + " " + safe(c.Path)
		if c.Unstable {
			line += " (changed while hashed)"
		}
		fmt.Fprintln(w, line)
		for _, d := range c.Diffs {
			fmt.Fprintf(w, "    %-8s %s -> %s\n", d.Attr, dash(safe(d.Old)), dash(safe(d.New)))
		}
		explainLine(w, r.Command, c)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "problem %s: %s\n", safe(p.Path), safe(p.Error))
	}
	attributionLine(w, r.Attribution)
	packagesLine(w, r.Packages)
	s := r.Summary
	if r.Command == CmdShow {
		_, err := fmt.Fprintf(w, "%d entries\n", s.Entries)
		return err
	}
	_, err := fmt.Fprintf(w, "%d entries: %d added, %d removed, %d changed, %d unstable, %d problems; %d hashed (%s), %d unchanged by metadata, %.1fs\n",
		s.Entries, s.Added, s.Removed, s.Changed, s.Unstable, s.Problems, s.Hashed, size(s.Bytes), s.Reused, s.Seconds)
	return err
}

// Found reports whether a check found differences.
func (r *Report) Found() bool { return len(r.Changes) > 0 }

func short(h string) string {
	h = strings.TrimPrefix(h, "sha256:")
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func size(n int64) string {
	const unit = 1 << 20
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/unit)
}

// safe shows a hostile name on a terminal (Printable).
func safe(s string) string { return Printable(s) }
