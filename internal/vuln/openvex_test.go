package vuln

import (
	"bytes"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cradle-cra/cradle/internal/vex"
)

func openVEXSchema(t *testing.T) *jsonschema.Schema {
	return testSchema(t, "openvex-0.2.0.schema.json")
}

// TestOpenVEXValid: the OpenVEX output validates against the OpenVEX
// v0.2.0 schema, whatever VEX input the statements came from: a
// CycloneDX justification is mapped to OpenVEX's or kept as words, and a
// not_affected statement carries exactly one of justification and
// impact statement.
func TestOpenVEXValid(t *testing.T) {
	sch := openVEXSchema(t)
	for _, stmts := range [][]vex.Statement{
		nil,
		{{Vulnerability: "CVE-2024-0005", Status: vex.NotAffected, Justification: "vulnerable_code_not_in_execute_path", Impact: "only in tests", Source: "a.openvex.json"}},
		{{Vulnerability: "CVE-2024-0005", Status: vex.NotAffected, Justification: "requires_configuration", Impact: "off by default", Source: "b.cdx.json"}},
		{{Vulnerability: "CVE-2024-0005", Status: vex.NotAffected, Justification: "code_not_reachable", Source: "b.cdx.json"}},
		{{Vulnerability: "CVE-2024-0005", Status: vex.NotAffected, Source: "c.cdx.json"}},
		{{Vulnerability: "CVE-2024-0005", Status: vex.Fixed, Source: "d.openvex.json"}},
	} {
		r := report(t, "high")
		for i := range r.Findings {
			r.Findings[i].VEX = nil
		}
		r.Target = "root:/srv/my rootfs"
		ApplyVEX(r.Findings, stmts)
		var buf bytes.Buffer
		if err := r.OpenVEX(&buf, "1.2.3"); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		doc, err := jsonschema.UnmarshalJSON(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(doc); err != nil {
			t.Errorf("%+v: not valid OpenVEX v0.2.0: %v\n%s", stmts, err, out)
		}
		if len(stmts) == 1 && stmts[0].Justification == "requires_configuration" && !strings.Contains(out, "justification requires_configuration. off by default") {
			t.Errorf("CycloneDX justification lost:\n%s", out)
		}
	}
}
