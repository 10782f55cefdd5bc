package render

import (
	"io"
	"slices"

	"github.com/cradle-cra/cradle/internal/jsonindent"
	"github.com/cradle-cra/cradle/internal/result"
)

// JSON writes the versioned report schema documented in docs/json-schema.md
// (machine-readable form: docs/schemas/scan_report.schema.json). The
// header is always the current schema_version and kind, whatever the
// report was read from; absent collections are written as empty ones,
// never null, and every summary key is present, so consumers need no null
// checks.
func JSON(w io.Writer, r *result.Report, _ Options) error {
	return jsonindent.Encode(w, normalized(r), "  ")
}

// normalized returns a shallow copy of r with nil slices and maps replaced
// by empty ones; r is not modified.
func normalized(r *result.Report) *result.Report {
	c := *r
	c.SchemaVersion, c.Kind = result.SchemaVersion, result.ReportKind
	c.Summary = fullSummary(r)
	c.Results = slices.Clone(r.Results)
	if c.Results == nil {
		c.Results = []result.Result{}
	}
	for i := range c.Results {
		res := &c.Results[i]
		if res.References == nil {
			res.References = map[string][]string{}
		}
		res.Evidence = nonNilEvidence(res.Evidence)
	}
	return &c
}
