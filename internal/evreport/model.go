// Package evreport renders the human report of an evidence pack: one
// self-contained HTML file a person can read offline and print, and a PDF
// of the same content.
//
// The package knows nothing about how a pack is built: the caller fills a
// Model (internal/evidence does, from the pack's own files) and the
// renderers only lay it out. Both renderers are deterministic for a fixed
// Model — no clock, no map order, no random ids — so a pack rebuilt from the
// same inputs carries byte-identical reports and the reports' digests in
// the manifest stay stable.
//
// The HTML report loads nothing: inline CSS, charts drawn as inline SVG in
// Go, no JavaScript, and a Content-Security-Policy that forbids every load,
// so a value that escaped escaping could still neither run nor fetch.
//
// The PDF uses codeberg.org/go-pdf/fpdf (the maintained continuation of
// jung-kurt/gofpdf): pure Go, no cgo, its core fonts need no font files,
// and it lets the creation date be set, which the digest of a reproducible
// pack needs. Core fonts are Windows-1252; characters outside it print
// as "?".
package evreport

import "time"

// Model is everything the report shows. Strings are shown as given (after
// escaping); empty fields are left out or shown as "not recorded". Dates
// that are calendar days (support period, retention) are strings as the
// product file holds them (YYYY-MM-DD or YYYY-MM); instants are time.Time
// and are shown in UTC.
type Model struct {
	// Product and release the pack is for.
	Product Product
	// Release is the product version the pack documents, e.g. "2.4.1".
	Release string
	// Manufacturer as declared in the product file.
	Manufacturer Manufacturer
	// Classification: the product's class and the conformity-assessment
	// routes open to it.
	Classification Classification
	// Support period declared for the product.
	Support Support
	// Retention says until when the pack must be kept.
	Retention Retention
	// Matrix is the Annex I Part I and II matrix, one row per point, in the
	// Annex's order (CRA.A1.P1.1 … CRA.A1.P2.8).
	Matrix []Requirement
	// Compliance summarises the scan results per baseline/profile.
	Compliance []ComplianceRun
	// Vulnerabilities: counts and the actively exploited cases.
	Vulnerabilities Vulnerabilities
	// SBOM summary.
	SBOM SBOM
	// Integrity holds the file-integrity (FIM) and configuration-drift
	// checks.
	Integrity []IntegrityCheck
	// Artifacts are the pack's files with their digests (the manifest).
	Artifacts []Artifact
	// Signature over the manifest.
	Signature Signature
	// Generated is when the pack was built; it is also the PDF's creation
	// date, so it must come from the build, not from time.Now at render.
	Generated time.Time
	// Tool names the generator, e.g. "cradle 1.4.0".
	Tool string
	// Notes are free-form remarks shown at the end (state of the law,
	// human duties left).
	Notes []string
}

// Product identifies the product.
type Product struct {
	Name            string
	Model           string
	Identifier      string // type, batch or serial number scheme
	Description     string
	IntendedPurpose string
}

// Manufacturer as Art. 13(16) wants it on the product's documents.
type Manufacturer struct {
	Name            string
	Address         string
	Email           string
	Website         string
	SecurityContact string // CVD contact (e-mail or URL)
}

// Classification is the result of cradle classify.
type Classification struct {
	// Class: "default", "important class I", "important class II" or
	// "critical".
	Class string
	// Categories are the Annex III/IV category ids that apply, e.g. "I.12".
	Categories []string
	// Route is the conformity-assessment route chosen, if any (e.g.
	// "module A").
	Route string
	// Routes lists every route with its state and why.
	Routes []Route
}

// Route is one conformity-assessment route.
type Route struct {
	Name   string // "module A", "module B+C", "module H", "EUCC"
	State  string // "open", "closed", "conditional"
	Reason string
}

// Support is the declared support period.
type Support struct {
	Start         string // YYYY-MM-DD or YYYY-MM
	End           string
	Justification string
}

// Retention is how long the pack must be kept: ten years after placing on
// the market or the support period, whichever is longer (Art. 13(13)).
type Retention struct {
	Until  string // YYYY-MM-DD
	Reason string
}

// Status is a requirement's assessed state.
type Status string

// The states of a matrix row. Unknown is the honest answer when nothing
// was looked at; a row that is not applicable carries its justification in
// Requirement.Justification and its status is ignored.
const (
	Met     Status = "met"
	Partial Status = "partial"
	NotMet  Status = "not_met"
	Unknown Status = "unknown"
)

// Requirement is one row of the Annex I matrix.
type Requirement struct {
	// ID is the stable id, e.g. "CRA.A1.P1.2b" (internal/cra).
	ID string
	// Title is the short title; empty takes internal/cra's title.
	Title string
	// Applicable is false when the manufacturer justified that the point
	// does not apply; Justification then says why.
	Applicable    bool
	Justification string
	Status        Status
	// Controls that meet the point (measures, rules, processes).
	Controls []string
	// Evidence are the pack's file names that back the status.
	Evidence []string
	// Gaps say what is missing for the point to be met.
	Gaps []string
}

// ComplianceRun summarises one scan (one baseline or profile, on one
// deployment).
type ComplianceRun struct {
	Name       string // profile or baseline, e.g. "debian12-server"
	Deployment string // deployment name from the product file, if any
	Pass       int
	Fail       int
	// Unknown counts results that could not be decided (error, not
	// checked).
	Unknown       int
	Waived        int
	NotApplicable int
	Evidence      string // the pack's file with the full results
}

// Vulnerabilities is the vulnerability status of the release.
type Vulnerabilities struct {
	// BySeverity counts open findings by severity; use the keys
	// "critical", "high", "medium", "low", "none", "unknown" so the charts
	// colour them; order is kept as given.
	BySeverity []Count
	// ByStatus counts findings by VEX or case status, e.g. "affected",
	// "not_affected", "fixed", "under_investigation".
	ByStatus []Count
	// Cases are the actively exploited vulnerabilities and severe
	// incidents, with their Article 14 clocks.
	Cases []Case
	// Evidence are the pack's files (vulnerability report, VEX,
	// advisories).
	Evidence []string
}

// Count is one labelled number.
type Count struct {
	Key   string
	Count int
}

// Case is an actively exploited vulnerability or severe incident.
type Case struct {
	ID       string
	Title    string
	Severity string // "critical", "high", …
	Status   string // case workflow status
	Aliases  []string
	// Kind is "vulnerability" or "incident".
	Kind   string
	Aware  time.Time
	Clocks []Clock
}

// Clock is one Article 14 report deadline.
type Clock struct {
	// Stage: "early_warning", "notification", "final_report".
	Stage string
	// Status as internal/reporting states it: "running", "due_soon",
	// "overdue", "submitted", "submitted_late", "not_started",
	// "not_required".
	Status    string
	Due       time.Time // zero when not started
	Submitted time.Time // zero when not submitted
	Reference string    // the platform's reference, if submitted
}

// SBOM summarises the release's software bill of materials.
type SBOM struct {
	Format     string // e.g. "CycloneDX 1.6"
	Components int
	// Ecosystems counts components per package type (purl type), e.g.
	// {"deb", 412}.
	Ecosystems []Count
	Evidence   string // the pack's SBOM file
}

// IntegrityCheck is one file-integrity or drift check.
type IntegrityCheck struct {
	Name string // "FIM", "drift"
	// Status: "clean", "changed", "unknown" (not checked, with Summary
	// saying why).
	Status   string
	Summary  string
	Evidence string
}

// Artifact is one file of the pack.
type Artifact struct {
	Path   string // slash-separated, relative to the pack root
	Size   int64
	SHA256 string // lowercase hex
}

// Signature is the manifest's signature.
type Signature struct {
	Algorithm string // e.g. "ed25519"
	KeyID     string
	Format    string // e.g. "DSSE (in-toto)"
	File      string // the signature file in the pack
}
