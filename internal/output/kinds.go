package output

import (
	"fmt"
	"io"

	"github.com/cradle-cra/cradle/internal/catalog"
	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/drift"
	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/journal"
	"github.com/cradle-cra/cradle/internal/render"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/version"
)

// The document kinds cradle writes. Each has a JSON Schema at
// docs/schemas/<kind>.schema.json.
const (
	KindScanReport  Kind = result.ReportKind     // cradle scan
	KindFixPlan     Kind = fix.Kind              // cradle fix
	KindDriftReport Kind = drift.ReportKind      // cradle drift
	KindRunList     Kind = journal.ListKind      // cradle runs
	KindChangeLog   Kind = changelog.ListingKind // cradle log
	KindWatchEvent  Kind = drift.EventKind       // cradle watch (JSON Lines)
	KindVersion     Kind = version.Kind          // cradle version
	KindRuleList    Kind = catalog.RuleListKind  // cradle rules
	KindKeyList     Kind = signing.ListKind      // cradle key list
)

// Default returns the registry of every kind with its built-in formats.
func Default() *Registry {
	r := &Registry{kinds: map[Kind]*Spec{}}
	for _, s := range []*Spec{scanSpec(), {
		Kind: KindFixPlan, SchemaVersion: fix.SchemaVersion, Private: true, // diffs show file contents
		decode: checked(decodeOne[fix.Document], func(d *fix.Document) error {
			for i, rf := range d.Rules {
				if err := knownSeverity(rf.Severity); err != nil {
					return fmt.Errorf("rules[%d] (%s): %w", i, rf.Rule, err)
				}
			}
			return nil
		}),
		formats: map[string]Renderer{
			"table": typed(func(w io.Writer, d *fix.Document, o Options) error { return d.Table(w, !o.NoDiff) }),
			"json":  typed(func(w io.Writer, d *fix.Document, _ Options) error { return d.JSON(w) }),
		},
	}, {
		Kind: KindDriftReport, SchemaVersion: drift.ReportSchemaVersion,
		decode:  decodeOne[drift.Report],
		formats: map[string]Renderer{"table": typed(driftTable), "json": typed(jsonOf[drift.Report])},
	}, {
		Kind: KindRunList, SchemaVersion: journal.ListSchemaVersion,
		decode:  decodeOne[journal.RunList],
		formats: map[string]Renderer{"table": typed(runsTable), "json": typed(jsonOf[journal.RunList])},
	}, {
		Kind: KindChangeLog, SchemaVersion: changelog.ListingSchemaVersion,
		decode:  decodeOne[changelog.Listing],
		formats: map[string]Renderer{"table": typed(logTable), "json": typed(jsonOf[changelog.Listing])},
	}, {
		Kind: KindWatchEvent, SchemaVersion: drift.EventSchemaVersion, Stream: true,
		decode:  decodeLines[drift.Event](KindWatchEvent),
		formats: map[string]Renderer{"table": typed(eventsTable), "json": typed(eventsJSON)},
	}, {
		Kind: KindVersion, SchemaVersion: version.SchemaVersion,
		decode:  decodeOne[version.Document],
		formats: map[string]Renderer{"table": typed(versionTable), "json": typed(jsonOf[version.Document])},
	}, {
		Kind: KindRuleList, SchemaVersion: catalog.RuleListSchemaVersion,
		decode:  decodeOne[catalog.RuleList],
		formats: map[string]Renderer{"table": typed(rulesTable), "json": typed(jsonOf[catalog.RuleList])},
	}, {
		Kind: KindKeyList, SchemaVersion: signing.ListSchemaVersion,
		decode:  decodeOne[signing.KeyList],
		formats: map[string]Renderer{"table": typed(keysTable), "json": typed(jsonOf[signing.KeyList])},
	}} {
		r.kinds[s.Kind] = s // distinct constants; TestRegistry checks the table
	}
	return r
}

// scanSpec makes every format of internal/render a scan_report format.
func scanSpec() *Spec {
	s := &Spec{Kind: KindScanReport, SchemaVersion: result.SchemaVersion, formats: map[string]Renderer{},
		decode: checked(decodeOne[result.Report], func(r *result.Report) error {
			for i, res := range r.Results {
				if err := knownSeverity(res.Severity); err != nil {
					return fmt.Errorf("results[%d] (%s): %w", i, res.RuleID, err)
				}
			}
			return nil
		})}
	reg := render.Default()
	for _, name := range reg.Names() {
		rnd, _ := reg.Lookup(name)
		s.formats[name] = typed(func(w io.Writer, r *result.Report, o Options) error {
			return rnd.Render(w, r, render.Options{Color: o.Color, Verbose: o.Verbose})
		})
	}
	return s
}

func jsonOf[T any](w io.Writer, doc *T, _ Options) error { return indentJSON(w, doc) }

// checked adds a check of what JSON decoding cannot express (a required
// severity: absent, it decodes as a zero no renderer can write back).
func checked[T any](decode func([]byte) (any, error), check func(*T) error) func([]byte) (any, error) {
	return func(data []byte) (any, error) {
		doc, err := decode(data)
		if err != nil {
			return nil, err
		}
		if err := check(doc.(*T)); err != nil {
			return nil, err
		}
		return doc, nil
	}
}

func knownSeverity(s result.Severity) error {
	if s < result.SeverityInfo || s > result.SeverityCritical {
		return fmt.Errorf("no severity")
	}
	return nil
}
