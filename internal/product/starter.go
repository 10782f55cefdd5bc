package product

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
	"time"

	"go.yaml.in/yaml/v3"
)

// Answers are what cradle init asks; empty fields get placeholders a
// person must replace (the starter still parses, with warnings).
type Answers struct {
	Manufacturer    string
	Email           string
	Website         string
	Product         string
	Version         string
	IntendedPurpose string
	SecurityContact string
	SupportStart    time.Time
	SupportYears    int
	Categories      []string // nil: not answered; empty: none applies
	Target          string   // deployment target: host, rootfs or image
	Profile         string
}

// q quotes a scalar for YAML (the answers are user input).
func q(s string) string {
	b, err := yaml.Marshal(s)
	if err != nil {
		return `""`
	}
	return strings.TrimSuffix(string(b), "\n")
}

var starter = template.Must(template.New("cradle.yaml").Funcs(template.FuncMap{"q": q}).Parse(`# cradle product file: what cradle needs to know about this product with
# digital elements to classify it, assess it and build its CRA evidence.
# Keep it in the product's repository; cradle reads it strictly (unknown
# keys are errors). Reference: docs/cra.md.
schema_version: 1

# Art. 13(16): name, postal address and a digital contact go on the
# product, its packaging or its documents.
manufacturer:
  name: {{q .Manufacturer}}
  address: ""            # postal address
  email: {{q .Email}}
  website: {{q .Website}}
  contacts: []           # - {role: product security, name: ..., email: ...}

product:
  name: {{q .Product}}
  model: ""
  identifier: ""         # type, batch or serial number scheme (Art. 13(15))
  description: ""
  versions: [{{q .Version}}]

# Intended purpose and reasonably foreseeable use drive the risk
# assessment (Art. 13(3)).
intended_purpose: {{q .IntendedPurpose}}
foreseeable_use: []

# How the product is deployed and the baseline profile each deployment
# is scanned against (cradle scan --profile).
deployments:
  - name: default
    target: {{.Target}}          # host, rootfs or image
    profile: {{q .Profile}}

# Art. 13(8): at least five years unless the product is expected to be in
# use for less; the end date (month and year at least) is shown to buyers.
support:
  start: {{.Start}}
  end: {{.End}}
  justification: ""

# Single point of contact for vulnerability reports (Art. 13(17)) and the
# coordinated vulnerability disclosure policy (Annex I Part II (5)).
security:
  contact: {{q .SecurityContact}}
  cvd_policy: ""         # https://... URL of the CVD policy
  advisories: ""         # https://... where advisories (CSAF) are published
  security_txt: ""

# Secure distribution of updates (Annex I Part II (7), (8)).
updates:
  channel: ""            # https://... URL
  mechanism: ""
  automatic: true
  signed: true

# What a release ships (image, rootfs, binary, package, firmware, source).
artifacts: []

# Answers for cradle classify (Annex III/IV; cradle classify --list).
classification:
  # Annex III/IV ids matching the core functionality, [] when none applies;
  # null means not answered yet.
  categories: {{if .Answered}}[{{range $i, $c := .Categories}}{{if $i}}, {{end}}{{q $c}}{{end}}]{{else}}null{{end}}
  core_functionality: ""
  standards: ""          # harmonised standards applied: full, partial or none
  scheme: ""             # certificate assurance level: basic, substantial, high
  free_open_source: false

# The cybersecurity risk assessment (Art. 13(2)-(4)): assets, threats,
# controls and every Annex I point's applicability. cradle evidence build
# reads it; write a starter with cradle risk init.
# risk_assessment: risk.yaml
`))

// Starter renders a commented product file from the answers. The result
// always parses (placeholders where answers are missing).
func Starter(a Answers) ([]byte, error) {
	fill := func(s *string, def string) {
		if strings.TrimSpace(*s) == "" {
			*s = def
		}
	}
	fill(&a.Manufacturer, "Example Manufacturer")
	fill(&a.Product, "example-product")
	fill(&a.Version, "1.0.0")
	fill(&a.IntendedPurpose, "Describe what the product is for and who uses it.")
	fill(&a.Target, "image")
	fill(&a.Profile, "product")
	if a.SecurityContact == "" {
		a.SecurityContact = a.Email
	}
	fill(&a.SecurityContact, "security@example.com")
	if a.SupportYears <= 0 {
		a.SupportYears = 5
	}
	if a.SupportStart.IsZero() {
		a.SupportStart = time.Now().UTC()
	}
	start := time.Date(a.SupportStart.Year(), a.SupportStart.Month(), a.SupportStart.Day(), 0, 0, 0, 0, time.UTC)
	data := struct {
		Answers
		Start, End string
		Answered   bool
	}{a, start.Format("2006-01-02"), start.AddDate(a.SupportYears, 0, 0).Format("2006-01-02"), a.Categories != nil}
	var b bytes.Buffer
	if err := starter.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("product file template: %w", err)
	}
	if _, _, err := Parse(DefaultFile, b.Bytes()); err != nil {
		return nil, fmt.Errorf("starter product file does not parse: %w", err)
	}
	return b.Bytes(), nil
}
