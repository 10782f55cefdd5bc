package output

import (
	"fmt"
	"io"

	"github.com/cradle-cra/cradle/internal/catalog"
	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/classify"
	"github.com/cradle-cra/cradle/internal/csaf"
	"github.com/cradle-cra/cradle/internal/drift"
	"github.com/cradle-cra/cradle/internal/evidence"
	"github.com/cradle-cra/cradle/internal/fim"
	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/journal"
	"github.com/cradle-cra/cradle/internal/psirt"
	"github.com/cradle-cra/cradle/internal/render"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/sbom"
	"github.com/cradle-cra/cradle/internal/scap/xccdf"
	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/version"
	"github.com/cradle-cra/cradle/internal/vuln"
)

// The document kinds cradle writes. Each has a JSON Schema at
// docs/schemas/<kind>.schema.json.
const (
	KindScanReport       Kind = result.ReportKind     // cradle scan
	KindFixPlan          Kind = fix.Kind              // cradle fix
	KindDriftReport      Kind = drift.ReportKind      // cradle drift
	KindRunList          Kind = journal.ListKind      // cradle runs
	KindChangeLog        Kind = changelog.ListingKind // cradle log
	KindWatchEvent       Kind = drift.EventKind       // cradle watch (JSON Lines)
	KindVersion          Kind = version.Kind          // cradle version
	KindRuleList         Kind = catalog.RuleListKind  // cradle rules
	KindKeyList          Kind = signing.ListKind      // cradle key list
	KindFIMReport        Kind = fim.ReportKind        // cradle fim
	KindVulnReport       Kind = vuln.ReportKind       // cradle vuln scan
	KindSBOMCheck        Kind = sbom.CheckKind        // cradle sbom check
	KindSBOMDiff         Kind = sbom.DiffKind         // cradle sbom diff
	KindClassification   Kind = classify.ReportKind   // cradle classify
	KindCaseList         Kind = psirt.ListKind        // cradle case
	KindSCAPInfo         Kind = xccdf.InfoKind        // cradle scap info
	KindAdvisory         Kind = csaf.ResultKind       // cradle advisory
	KindAnnex1Matrix     Kind = evidence.MatrixKind   // cradle evidence build (annex1-matrix.json)
	KindEvidenceManifest Kind = evidence.ManifestKind // an evidence pack's manifest.json
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
	},
		tableAndJSON(KindDriftReport, drift.ReportSchemaVersion, driftTable),
		tableAndJSON(KindRunList, journal.ListSchemaVersion, runsTable),
		tableAndJSON(KindChangeLog, changelog.ListingSchemaVersion, logTable),
		{
			Kind: KindWatchEvent, SchemaVersion: drift.EventSchemaVersion, Stream: true,
			decode:  decodeLines[drift.Event](KindWatchEvent),
			formats: map[string]Renderer{"table": typed(eventsTable), "json": typed(eventsJSON)},
		},
		tableAndJSON(KindVersion, version.SchemaVersion, versionTable),
		tableAndJSON(KindRuleList, catalog.RuleListSchemaVersion, rulesTable),
		tableAndJSON(KindKeyList, signing.ListSchemaVersion, keysTable),
		tableAndJSON(KindSBOMCheck, sbom.CheckSchemaVersion, func(w io.Writer, r *sbom.CheckReport, _ Options) error { return r.Table(w) }),
		tableAndJSON(KindAdvisory, csaf.ResultSchemaVersion, func(w io.Writer, r *csaf.Result, _ Options) error { return r.Table(w) }),
		tableAndJSON(KindCaseList, psirt.ListSchemaVersion, func(w io.Writer, l *psirt.List, _ Options) error { return l.Table(w) }),
		tableAndJSON(KindClassification, classify.SchemaVersion, func(w io.Writer, r *classify.Result, _ Options) error { return r.Table(w) }),
		tableAndJSON(KindSBOMDiff, sbom.DiffSchemaVersion, func(w io.Writer, r *sbom.DiffReport, _ Options) error { return r.Table(w) }),
		{
			Kind: KindFIMReport, SchemaVersion: fim.ReportSchemaVersion, decode: decodeOne[fim.Report],
			formats: map[string]Renderer{
				"table": typed(func(w io.Writer, r *fim.Report, _ Options) error { return r.Table(w) }),
				"json":  typed(func(w io.Writer, r *fim.Report, _ Options) error { return r.JSON(w) }),
				"sarif": typed(func(w io.Writer, r *fim.Report, _ Options) error { return render.FIMSARIF(w, r) }),
				"junit": typed(func(w io.Writer, r *fim.Report, _ Options) error { return render.FIMJUnit(w, r) }),
				"html":  typed(func(w io.Writer, r *fim.Report, _ Options) error { return render.FIMHTML(w, r) }),
			},
		},
		vulnSpec(),
		tableAndJSON(KindAnnex1Matrix, evidence.MatrixSchemaVersion, func(w io.Writer, m *evidence.Matrix, _ Options) error { return m.Table(w) }),
		tableAndJSON(KindEvidenceManifest, evidence.ManifestSchemaVersion, func(w io.Writer, m *evidence.Manifest, _ Options) error { return m.Table(w) }),
		tableAndJSON(KindSCAPInfo, xccdf.InfoSchemaVersion, func(w io.Writer, i *xccdf.Info, _ Options) error { return i.Table(w) }),
	} {
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
			return rnd.Render(w, r, render.Options{Color: o.Color, Verbose: o.Verbose, Rerun: o.Rerun})
		})
	}
	return s
}

// tableAndJSON describes a kind of single documents shown as a table or
// as indented JSON.
func tableAndJSON[T any](k Kind, schemaVersion string, table func(io.Writer, *T, Options) error) *Spec {
	return &Spec{Kind: k, SchemaVersion: schemaVersion, decode: decodeOne[T],
		formats: map[string]Renderer{"table": typed(table), "json": typed(jsonOf[T])}}
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

// vulnSpec: vuln_report renders as a table, JSON, SARIF, CycloneDX VDR/VEX
// and OpenVEX.
func vulnSpec() *Spec {
	return &Spec{Kind: KindVulnReport, SchemaVersion: vuln.ReportSchemaVersion, decode: decodeOne[vuln.Report],
		formats: map[string]Renderer{
			"table":   typed(func(w io.Writer, r *vuln.Report, _ Options) error { return r.Table(w) }),
			"json":    typed(func(w io.Writer, r *vuln.Report, _ Options) error { return r.JSON(w) }),
			"sarif":   typed(func(w io.Writer, r *vuln.Report, _ Options) error { return r.SARIF(w, version.Version()) }),
			"openvex": typed(func(w io.Writer, r *vuln.Report, _ Options) error { return r.OpenVEX(w, version.Version()) }),
			"cyclonedx": typed(func(w io.Writer, r *vuln.Report, _ Options) error {
				return r.CycloneDX(w, version.Version())
			}),
		}}
}
