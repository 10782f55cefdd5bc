package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// The evidence_manifest document (docs/schemas/evidence_manifest.schema.json).
const (
	ManifestKind          = "evidence_manifest"
	ManifestSchemaVersion = "1.0"
	// ManifestFile and SignatureFile are the pack's root files; every
	// other file is listed in the manifest.
	ManifestFile  = "manifest.json"
	SignatureFile = "manifest.dsse.json"
)

// Roles of the pack's files.
const (
	RoleMatrix          = "annex1_matrix"
	RoleTechnicalDoc    = "annex_vii_technical_documentation"
	RoleUserInformation = "annex_ii_user_information"
	RoleDeclaration     = "annex_v_declaration_of_conformity"
	RoleProductFile     = "product_file"
	RoleRiskAssessment  = "risk_assessment"
	RoleControlEvidence = "control_evidence"
	RoleReport          = "report"
)

// Manifest lists every file of a pack with its digest; its DSSE signature
// (SignatureFile) covers its exact bytes.
type Manifest struct {
	SchemaVersion string      `json:"schema_version"`
	Kind          string      `json:"kind"`
	Product       PackProduct `json:"product"`
	Release       string      `json:"release"`
	Created       time.Time   `json:"created"`
	Tool          string      `json:"tool"`
	Retention     Retention   `json:"retention"`
	Files         []File      `json:"files"`
}

// PackProduct identifies the product and its manufacturer.
type PackProduct struct {
	Name         string `json:"name"`
	Manufacturer string `json:"manufacturer"`
	SupportStart string `json:"support_start"`
	SupportEnd   string `json:"support_end"`
}

// File is one file of the pack.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Role   string `json:"role"`
}

// Retention is how long the pack must be kept.
type Retention struct {
	// PlacedOnMarket is the date the release is placed on the market (the
	// build date unless given).
	PlacedOnMarket string `json:"placed_on_market"`
	SupportEnd     string `json:"support_end"`
	// KeepUntil is the later of ten years after PlacedOnMarket and the
	// end of the support period.
	KeepUntil string      `json:"keep_until"`
	Items     []Retainage `json:"items"`
}

// Retainage is one retention duty the date answers.
type Retainage struct {
	What  string `json:"what"`
	Basis string `json:"basis"`
	Until string `json:"until"`
}

// retention computes Art. 13(13) and 13(18): ten years after placing on
// the market or the support period, whichever is longer.
func retention(placed, supportEnd time.Time) Retention {
	ten := placed.AddDate(10, 0, 0)
	until := ten
	if supportEnd.After(until) {
		until = supportEnd
	}
	d := until.Format("2006-01-02")
	return Retention{
		PlacedOnMarket: placed.Format("2006-01-02"),
		SupportEnd:     supportEnd.Format("2006-01-02"),
		KeepUntil:      d,
		Items: []Retainage{
			{What: "technical documentation (Annex VII) and EU declaration of conformity", Basis: "Art. 13(13)", Until: d},
			{What: "information and instructions to the user (Annex II)", Basis: "Art. 13(18)", Until: d},
		},
	}
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// encodeManifest writes the manifest as indented JSON with a final newline.
func encodeManifest(m *Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// Table prints the manifest's files for a terminal.
func (m *Manifest) Table(w interface{ Write([]byte) (int, error) }) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Evidence pack: %s %s, created %s, keep until %s\n", m.Product.Name, m.Release, m.Created.UTC().Format(time.RFC3339), m.Retention.KeepUntil)
	for _, f := range m.Files {
		fmt.Fprintf(&b, "%s  %10d  %-34s %s\n", f.SHA256, f.Size, f.Role, f.Path)
	}
	_, err := w.Write(b.Bytes())
	return err
}
