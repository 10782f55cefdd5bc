package risk

import (
	"bytes"
	"fmt"

	"github.com/cradle-cra/cradle/internal/cra"
)

const starterHead = `# cradle risk assessment (Art. 13(2)-(4); Annex VII point 3). Named by the
# product file (risk_assessment: risk.yaml) and read strictly. Reference:
# docs/cra.md, section "Risk assessment".
schema_version: 1
scope: ""                # what the assessment covers (product, versions, deployments)
reviewed: ""             # YYYY-MM-DD of the last review

# What the product must protect.
assets:
  - id: A1
    name: configuration and credentials
    description: ""

# Scales: likelihood rare, unlikely, possible, likely, almost_certain (1-5);
# impact negligible, minor, moderate, major, severe (1-5). Risk = likelihood
# x impact: low 1-4, medium 5-9, high 10-16, critical 17-25.
threats:
  - id: T1
    title: remote login with default or weak credentials
    assets: [A1]
    inherent: {likelihood: likely, impact: severe}
    controls: [C1]
    residual: {likelihood: rare, impact: severe}
    acceptance: ""       # who accepted a high or critical residual risk, and why

# Measures. rules: cradle scan rule ids whose results show the control
# works; evidence: files (relative to this file) copied into the pack.
controls:
  - id: C1
    title: hardened default configuration checked by cradle scan
    rules: []
    evidence: []

# Every Annex I point: applicable true/false; a justification is required
# when false; the controls and rules that meet it.
requirements:
`

// Starter renders a commented risk file listing every Annex I point as
// applicable with no controls yet. It always parses.
func Starter() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(starterHead)
	for _, p := range cra.AnnexI() {
		fmt.Fprintf(&b, "  - id: %s   # %s\n    applicable: true\n    controls: []\n", p.ID, p.Title)
	}
	if _, _, err := Parse(DefaultFile, b.Bytes()); err != nil {
		return nil, fmt.Errorf("starter risk file does not parse: %w", err)
	}
	return b.Bytes(), nil
}
