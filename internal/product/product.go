// Package product is the product file, cradle.yaml: what the manufacturer
// declares about one product with digital elements — identity, intended
// purpose, deployment modes and their baselines, support period,
// vulnerability disclosure, updates, release artifacts and the answers
// that classify it. It lives in the product's repository (compliance as
// code) and is read strictly: unknown keys and malformed values are
// errors with file:line, and gaps the CRA cares about are warnings.
package product

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/classify"
	"github.com/cradle-cra/cradle/internal/rules"
)

// SchemaVersion is the product file format this build reads.
const SchemaVersion = 1

// DefaultFile is the product file's conventional name.
const DefaultFile = "cradle.yaml"

// File is a parsed product file.
type File struct {
	SchemaVersion   int            `yaml:"schema_version" json:"schema_version"`
	Manufacturer    Manufacturer   `yaml:"manufacturer" json:"manufacturer"`
	Product         Identity       `yaml:"product" json:"product"`
	IntendedPurpose string         `yaml:"intended_purpose" json:"intended_purpose"`
	ForeseeableUse  []string       `yaml:"foreseeable_use" json:"foreseeable_use,omitempty"`
	Deployments     []Deployment   `yaml:"deployments" json:"deployments,omitempty"`
	Support         Support        `yaml:"support" json:"support"`
	Security        Security       `yaml:"security" json:"security"`
	Updates         Updates        `yaml:"updates" json:"updates"`
	Artifacts       []Artifact     `yaml:"artifacts" json:"artifacts,omitempty"`
	Classification  Classification `yaml:"classification" json:"classification"`
	// RiskAssessment is the risk file (internal/risk), relative to this
	// file; "" when none is kept yet.
	RiskAssessment string `yaml:"risk_assessment" json:"risk_assessment,omitempty"`
}

// Manufacturer is who places the product on the market (Art. 13(16)).
type Manufacturer struct {
	Name     string    `yaml:"name" json:"name"`
	Address  string    `yaml:"address" json:"address,omitempty"`
	Email    string    `yaml:"email" json:"email,omitempty"`
	Website  string    `yaml:"website" json:"website,omitempty"`
	Contacts []Contact `yaml:"contacts" json:"contacts,omitempty"`
}

// Contact is a named person or function.
type Contact struct {
	Role  string `yaml:"role" json:"role"`
	Name  string `yaml:"name" json:"name,omitempty"`
	Email string `yaml:"email" json:"email,omitempty"`
	Phone string `yaml:"phone" json:"phone,omitempty"`
}

// Identity names the product (Art. 13(15)).
type Identity struct {
	Name        string   `yaml:"name" json:"name"`
	Model       string   `yaml:"model" json:"model,omitempty"`
	Identifier  string   `yaml:"identifier" json:"identifier,omitempty"` // type, batch or serial number scheme
	Description string   `yaml:"description" json:"description,omitempty"`
	Versions    []string `yaml:"versions" json:"versions,omitempty"`
	// CPE (a CPE 2.3 name without version, "cpe:2.3:o:vendor:product")
	// and PURL (a package URL without version) identify the product in
	// advisories; each version fills in its own.
	CPE  string `yaml:"cpe" json:"cpe,omitempty"`
	PURL string `yaml:"purl" json:"purl,omitempty"`
}

// Deployment is one way the product is deployed and the baseline that
// applies to it.
type Deployment struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description" json:"description,omitempty"`
	Target      string `yaml:"target" json:"target"` // host, rootfs or image
	Profile     string `yaml:"profile" json:"profile"`
	Tailoring   string `yaml:"tailoring" json:"tailoring,omitempty"`
}

// Targets a deployment may name.
var Targets = []string{"host", "rootfs", "image"}

// Support is the support period (Art. 13(8), 13(19)).
type Support struct {
	Start         Date   `yaml:"start" json:"start"`
	End           Date   `yaml:"end" json:"end"`
	Justification string `yaml:"justification" json:"justification,omitempty"`
}

// Years is the period's length in years (fractional).
func (s Support) Years() float64 {
	return s.End.Sub(s.Start.Time).Hours() / 24 / 365.2425
}

// Security is how vulnerabilities reach the manufacturer (Art. 13(17),
// Annex I Part II (5) and (6)).
type Security struct {
	Contact     string `yaml:"contact" json:"contact"`                     // e-mail or URL
	CVDPolicy   string `yaml:"cvd_policy" json:"cvd_policy,omitempty"`     // URL
	Advisories  string `yaml:"advisories" json:"advisories,omitempty"`     // URL where advisories are published
	SecurityTxt string `yaml:"security_txt" json:"security_txt,omitempty"` // URL of security.txt
}

// Updates is how security updates are distributed (Annex I Part II (7), (8)).
type Updates struct {
	Channel   string `yaml:"channel" json:"channel,omitempty"` // URL
	Mechanism string `yaml:"mechanism" json:"mechanism,omitempty"`
	Automatic *bool  `yaml:"automatic" json:"automatic,omitempty"`
	Signed    *bool  `yaml:"signed" json:"signed,omitempty"`
}

// Artifact is one thing a release ships.
type Artifact struct {
	Name string `yaml:"name" json:"name"`
	Kind string `yaml:"kind" json:"kind"` // image, rootfs, binary, package, firmware, source
	Path string `yaml:"path" json:"path,omitempty"`
}

// ArtifactKinds are the kinds an artifact may have.
var ArtifactKinds = []string{"image", "rootfs", "binary", "package", "firmware", "source"}

// Classification holds the answers cradle classify applies.
type Classification struct {
	Categories        []string           `yaml:"categories" json:"categories,omitempty"`
	CoreFunctionality string             `yaml:"core_functionality" json:"core_functionality,omitempty"`
	Standards         classify.Standards `yaml:"standards" json:"standards,omitempty"`
	Scheme            classify.Assurance `yaml:"scheme" json:"scheme,omitempty"`
	FreeOpenSource    bool               `yaml:"free_open_source" json:"free_open_source,omitempty"`
}

// Input is the classification's answers for classify.Classify.
func (c Classification) Input() classify.Input {
	return classify.Input{Categories: c.Categories, Standards: c.Standards, Scheme: c.Scheme, FreeOpenSource: c.FreeOpenSource}
}

// Date is a calendar date (YYYY-MM-DD, or YYYY-MM meaning the month's
// first day for a start and its last day for an end).
type Date struct{ time.Time }

// UnmarshalYAML reads a date written as YYYY-MM-DD or YYYY-MM.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a date (YYYY-MM-DD)", n.Line)
	}
	for _, layout := range []string{"2006-01-02", "2006-01"} {
		if t, err := time.Parse(layout, n.Value); err == nil {
			d.Time = t
			return nil
		}
	}
	return fmt.Errorf("line %d: %q is not a date (YYYY-MM-DD)", n.Line, n.Value)
}

// MarshalYAML writes YYYY-MM-DD.
func (d Date) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON writes "YYYY-MM-DD", or null for no date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format("2006-01-02")
}

// Warning is a gap that does not stop a command.
type Warning = rules.Warning

// Parse reads a product file. Structural and value errors are returned
// together as rules.Errors with file:line; warnings name CRA gaps.
func Parse(name string, data []byte) (*File, []Warning, error) {
	var f File
	warns, err := rules.DecodeStrict(name, data, &f, func(rv *rules.Validator) { (&validator{rv}).check(&f) })
	if err != nil {
		return nil, nil, err
	}
	return &f, warns, nil
}

// validator adds this file's value checks to the shared one.
type validator struct{ *rules.Validator }

var at = rules.At

func (v *validator) check(f *File) {
	if f.SchemaVersion != SchemaVersion {
		v.Errorf(at("schema_version"), "schema_version %d: this cradle reads version %d", f.SchemaVersion, SchemaVersion)
	}
	v.required(at("manufacturer", "name"), f.Manufacturer.Name)
	v.required(at("product", "name"), f.Product.Name)
	v.required(at("intended_purpose"), f.IntendedPurpose)
	v.email(at("manufacturer", "email"), f.Manufacturer.Email)
	v.url(at("manufacturer", "website"), f.Manufacturer.Website)
	if f.Manufacturer.Address == "" {
		v.Warnf(at("manufacturer"), "manufacturer.address is empty: the postal address must be on the product or its documents (Art. 13(16))")
	}
	if f.Manufacturer.Email == "" && f.Manufacturer.Website == "" {
		v.Warnf(at("manufacturer"), "manufacturer has neither email nor website: give a digital contact (Art. 13(16))")
	}
	for i, c := range f.Manufacturer.Contacts {
		v.required(at("manufacturer", "contacts", i, "role"), c.Role)
		v.email(at("manufacturer", "contacts", i, "email"), c.Email)
	}
	if c := f.Product.CPE; c != "" && (!strings.HasPrefix(c, "cpe:2.3:") || len(strings.Split(c, ":")) < 5 || strings.ContainsAny(c, " \t")) {
		v.Errorf(at("product", "cpe"), "product.cpe %q: want a CPE 2.3 name such as cpe:2.3:o:vendor:product", c)
	}
	if p := f.Product.PURL; p != "" && (!strings.HasPrefix(p, "pkg:") || !strings.Contains(p, "/") || strings.ContainsAny(p, "@? \t")) {
		v.Errorf(at("product", "purl"), "product.purl %q: want a package URL without version, such as pkg:generic/vendor/product", p)
	}
	if f.Product.Identifier == "" {
		v.Warnf(at("product"), "product.identifier is empty: name the type, batch or serial number that identifies each unit (Art. 13(15))")
	}
	v.support(f.Support)
	v.security(f.Security)
	v.updates(f.Updates)
	v.deployments(f.Deployments)
	for i, a := range f.Artifacts {
		v.required(at("artifacts", i, "name"), a.Name)
		v.oneOf(at("artifacts", i, "kind"), "artifact kind", a.Kind, ArtifactKinds)
	}
	if r := f.RiskAssessment; r != "" && (strings.HasPrefix(r, "/") || strings.Contains(r, "..") || strings.Contains(r, "\\")) {
		v.Errorf(at("risk_assessment"), "risk_assessment %q: want a path relative to the product file, inside its directory", r)
	}
	if _, err := classify.Classify(f.Classification.Input()); err != nil {
		v.Errorf(at("classification"), "classification: %v", err)
	}
}

func (v *validator) required(path []any, s string) {
	if strings.TrimSpace(s) == "" {
		v.Errorf(path, "%s is required", dotted(path))
	}
}

func dotted(path []any) string {
	var b strings.Builder
	for i, p := range path {
		switch k := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", k)
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, k)
		}
	}
	return b.String()
}

func (v *validator) email(path []any, s string) {
	if s == "" {
		return
	}
	if a, err := mail.ParseAddress(s); err != nil || a.Name != "" {
		v.Errorf(path, "%s %q is not an e-mail address", dotted(path), s)
	}
}

func (v *validator) url(path []any, s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.Errorf(path, "%s %q is not an http(s) URL", dotted(path), s)
	}
}

// contact accepts an e-mail address or a URL (a form, a portal).
func (v *validator) contact(path []any, s string) {
	if strings.Contains(s, "://") || strings.HasPrefix(s, "mailto:") {
		if u, err := url.Parse(s); err != nil || u.Scheme == "" {
			v.Errorf(path, "%s %q is not a URL", dotted(path), s)
		}
		return
	}
	v.email(path, s)
}

func (v *validator) oneOf(path []any, what, s string, allowed []string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	v.Errorf(path, "%s %q: want one of %s", what, s, strings.Join(allowed, ", "))
}

func (v *validator) support(s Support) {
	if s.End.IsZero() {
		v.Errorf(at("support", "end"), "support.end is required: the support period's end date must be stated (Art. 13(19))")
		return
	}
	if s.Start.IsZero() {
		v.Errorf(at("support", "start"), "support.start is required")
		return
	}
	if !s.End.After(s.Start.Time) {
		v.Errorf(at("support", "end"), "support.end %s is not after support.start %s", s.End, s.Start)
		return
	}
	if y := s.Years(); y < 5 {
		msg := fmt.Sprintf("support period is %.1f years: the CRA expects at least 5 unless the product is expected to be in use for less (Art. 13(8))", y)
		if strings.TrimSpace(s.Justification) == "" {
			msg += "; add support.justification"
		}
		v.Warnf(at("support", "end"), "%s", msg)
	}
}

func (v *validator) security(s Security) {
	v.required(at("security", "contact"), s.Contact)
	if s.Contact != "" {
		v.contact(at("security", "contact"), s.Contact)
	}
	if s.CVDPolicy == "" {
		v.Warnf(at("security"), "security.cvd_policy is empty: publish a coordinated vulnerability disclosure policy (Annex I Part II (5))")
	}
	v.url(at("security", "cvd_policy"), s.CVDPolicy)
	v.url(at("security", "advisories"), s.Advisories)
	v.url(at("security", "security_txt"), s.SecurityTxt)
}

func (v *validator) updates(u Updates) {
	if u.Channel == "" {
		v.Warnf(at("updates"), "updates.channel is empty: say where security updates are distributed (Annex I Part II (7), (8))")
	}
	v.url(at("updates", "channel"), u.Channel)
	if u.Signed != nil && !*u.Signed {
		v.Warnf(at("updates", "signed"), "updates are not signed: distribute security updates securely (Annex I Part II (7))")
	}
}

func (v *validator) deployments(ds []Deployment) {
	names := map[string]bool{}
	for i, d := range ds {
		v.required(at("deployments", i, "name"), d.Name)
		if names[d.Name] {
			v.Errorf(at("deployments", i, "name"), "deployment %q named twice", d.Name)
		}
		names[d.Name] = true
		v.oneOf(at("deployments", i, "target"), "deployment target", d.Target, Targets)
		v.required(at("deployments", i, "profile"), d.Profile)
	}
}
