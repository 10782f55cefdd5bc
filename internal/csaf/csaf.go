// Package csaf writes OASIS CSAF 2.0 documents — the security advisory
// (csaf_security_advisory) and VEX (csaf_vex) profiles — from a
// vulnerability case and the product file, and lays them out as a CSAF
// provider's directory tree with its provider-metadata.json, hashes,
// signatures, index.txt, changes.csv and an RFC 9116 security.txt.
//
// The model is our own and minimal: it covers the fields cradle fills,
// typed so that a document cannot be built with a misspelt property. No
// well-kept Go CSAF module is available to this project's builds (the
// gocsaf project's module is not among the modules we can fetch), so we
// do not depend on one; the tests validate every document against the
// official OASIS JSON schema (vendored in testdata) and, when present,
// the independent secvisogram validator's mandatory tests.
package csaf

// Version is the CSAF version written.
const Version = "2.0"

// Profiles (document.category) cradle writes.
const (
	ProfileAdvisory = "csaf_security_advisory"
	ProfileVEX      = "csaf_vex"
)

// Tracking statuses.
const (
	StatusDraft   = "draft"
	StatusInterim = "interim"
	StatusFinal   = "final"
)

// Document is a CSAF document.
type Document struct {
	Document        Meta            `json:"document"`
	ProductTree     *ProductTree    `json:"product_tree,omitempty"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities,omitempty"`
}

// Meta is /document.
type Meta struct {
	AggregateSeverity *AggregateSeverity `json:"aggregate_severity,omitempty"`
	Category          string             `json:"category"`
	CSAFVersion       string             `json:"csaf_version"`
	Distribution      *Distribution      `json:"distribution,omitempty"`
	Lang              string             `json:"lang,omitempty"`
	Notes             []Note             `json:"notes,omitempty"`
	Publisher         Publisher          `json:"publisher"`
	References        []Reference        `json:"references,omitempty"`
	Title             string             `json:"title"`
	Tracking          Tracking           `json:"tracking"`
}

// AggregateSeverity is the document's overall severity in words.
type AggregateSeverity struct {
	Namespace string `json:"namespace,omitempty"`
	Text      string `json:"text"`
}

// Distribution is the sharing rule: the Traffic Light Protocol label.
type Distribution struct {
	Text string `json:"text,omitempty"`
	TLP  *TLP   `json:"tlp,omitempty"`
}

// TLP is a Traffic Light Protocol label (CSAF 2.0 uses TLP 1.0 labels).
type TLP struct {
	Label string `json:"label"`
	URL   string `json:"url,omitempty"`
}

// Note is a note of the document or of a vulnerability.
type Note struct {
	Category string `json:"category"`
	Text     string `json:"text"`
	Title    string `json:"title,omitempty"`
}

// Publisher is who issues the document.
type Publisher struct {
	Category         string `json:"category"`
	ContactDetails   string `json:"contact_details,omitempty"`
	IssuingAuthority string `json:"issuing_authority,omitempty"`
	Name             string `json:"name"`
	Namespace        string `json:"namespace"`
}

// Reference is a link to further information.
type Reference struct {
	Category string `json:"category,omitempty"`
	Summary  string `json:"summary"`
	URL      string `json:"url"`
}

// Tracking is /document/tracking.
type Tracking struct {
	CurrentReleaseDate string     `json:"current_release_date"`
	Generator          *Generator `json:"generator,omitempty"`
	ID                 string     `json:"id"`
	InitialReleaseDate string     `json:"initial_release_date"`
	RevisionHistory    []Revision `json:"revision_history"`
	Status             string     `json:"status"`
	Version            string     `json:"version"`
}

// Generator names the tool that made the document.
type Generator struct {
	Date   string `json:"date,omitempty"`
	Engine Engine `json:"engine"`
}

// Engine is the generating tool.
type Engine struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// Revision is one entry of the revision history.
type Revision struct {
	Date    string `json:"date"`
	Number  string `json:"number"`
	Summary string `json:"summary"`
}

// ProductTree is /product_tree.
type ProductTree struct {
	Branches         []Branch          `json:"branches,omitempty"`
	FullProductNames []FullProductName `json:"full_product_names,omitempty"`
	Relationships    []Relationship    `json:"relationships,omitempty"`
}

// Branch is one level of the product tree (vendor, product name,
// version).
type Branch struct {
	Branches []Branch         `json:"branches,omitempty"`
	Category string           `json:"category"`
	Name     string           `json:"name"`
	Product  *FullProductName `json:"product,omitempty"`
}

// FullProductName names a product and gives its id.
type FullProductName struct {
	Name                        string  `json:"name"`
	ProductID                   string  `json:"product_id"`
	ProductIdentificationHelper *Helper `json:"product_identification_helper,omitempty"`
}

// Helper identifies a product by CPE or package URL.
type Helper struct {
	CPE  string `json:"cpe,omitempty"`
	PURL string `json:"purl,omitempty"`
}

// Relationship ties a component to the product it is part of.
type Relationship struct {
	Category                  string          `json:"category"`
	FullProductName           FullProductName `json:"full_product_name"`
	ProductReference          string          `json:"product_reference"`
	RelatesToProductReference string          `json:"relates_to_product_reference"`
}

// Vulnerability is one item of /vulnerabilities.
type Vulnerability struct {
	CVE           string         `json:"cve,omitempty"`
	DiscoveryDate string         `json:"discovery_date,omitempty"`
	IDs           []ID           `json:"ids,omitempty"`
	Notes         []Note         `json:"notes,omitempty"`
	ProductStatus *ProductStatus `json:"product_status,omitempty"`
	References    []Reference    `json:"references,omitempty"`
	Remediations  []Remediation  `json:"remediations,omitempty"`
	Scores        []Score        `json:"scores,omitempty"`
	Threats       []Threat       `json:"threats,omitempty"`
	Title         string         `json:"title,omitempty"`
}

// ID is an identifier of the vulnerability in another system.
type ID struct {
	SystemName string `json:"system_name"`
	Text       string `json:"text"`
}

// ProductStatus lists product ids by status.
type ProductStatus struct {
	Fixed              []string `json:"fixed,omitempty"`
	KnownAffected      []string `json:"known_affected,omitempty"`
	KnownNotAffected   []string `json:"known_not_affected,omitempty"`
	UnderInvestigation []string `json:"under_investigation,omitempty"`
}

// Remediation categories.
const (
	RemedyMitigation    = "mitigation"
	RemedyNoFixPlanned  = "no_fix_planned"
	RemedyNoneAvailable = "none_available"
	RemedyVendorFix     = "vendor_fix"
	RemedyWorkaround    = "workaround"
)

// Remediation is what to do about the vulnerability for some products.
type Remediation struct {
	Category   string   `json:"category"`
	Date       string   `json:"date,omitempty"`
	Details    string   `json:"details"`
	ProductIDs []string `json:"product_ids,omitempty"`
	URL        string   `json:"url,omitempty"`
}

// Score is a CVSS score for some products (CSAF 2.0 knows CVSS v2 and
// v3; a v4.0 vector goes into a note).
type Score struct {
	CVSSV3   *CVSSV3  `json:"cvss_v3,omitempty"`
	Products []string `json:"products"`
}

// CVSSV3 is FIRST's CVSS v3.x JSON, with the fields cradle computes.
type CVSSV3 struct {
	Version      string  `json:"version"`
	VectorString string  `json:"vectorString"`
	BaseScore    float64 `json:"baseScore"`
	BaseSeverity string  `json:"baseSeverity"`
}

// Threat is information about exploitation or impact.
type Threat struct {
	Category   string   `json:"category"` // exploit_status, impact, target_set
	Date       string   `json:"date,omitempty"`
	Details    string   `json:"details"`
	ProductIDs []string `json:"product_ids,omitempty"`
}
