package csaf

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// The advisory result document (docs/schemas/advisory_result.schema.json).
const (
	ResultKind          = "advisory_result"
	ResultSchemaVersion = "1.0"
)

// Result says what cradle advisory wrote.
type Result struct {
	SchemaVersion string    `json:"schema_version"`
	Kind          string    `json:"kind"`
	Generated     time.Time `json:"generated"`
	Case          string    `json:"case"`
	Status        string    `json:"status"`  // draft, interim, final
	Version       string    `json:"version"` // the documents' tracking version
	Documents     []Written `json:"documents"`
	Provider      []Written `json:"provider,omitempty"`
	Notes         []string  `json:"notes,omitempty"`
}

// Written is one file written.
type Written struct {
	Profile    string `json:"profile,omitempty"`
	TrackingID string `json:"tracking_id,omitempty"`
	Path       string `json:"path"`
	SHA256     string `json:"sha256"`
}

// NewResult starts a result.
func NewResult(now time.Time, caseID string, t Tracking) *Result {
	return &Result{SchemaVersion: ResultSchemaVersion, Kind: ResultKind, Generated: now.UTC(), Case: caseID,
		Status: t.Status, Version: t.Version, Documents: []Written{}}
}

// Table lists the files written.
func (r *Result) Table(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: CSAF 2.0 documents, %s, version %s\n", r.Case, r.Status, r.Version)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, d := range r.Documents {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", d.Profile, d.TrackingID, d.Path)
	}
	tw.Flush()
	if len(r.Provider) > 0 {
		b.WriteString("Provider tree:\n")
		for _, p := range r.Provider {
			fmt.Fprintf(&b, "  %s\n", p.Path)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "Note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
