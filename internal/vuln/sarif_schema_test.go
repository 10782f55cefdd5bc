package vuln

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sarifSchema compiles the OASIS SARIF 2.1.0 schema (testdata/schema),
// asserting formats (uri, uri-reference, date-time) too.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	return testSchema(t, "sarif-schema-2.1.0.json")
}

// testSchema compiles one schema of testdata/schema with format
// assertions on.
func testSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "schema", file))
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(file, v); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(file)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validateSARIF(t *testing.T, sch *jsonschema.Schema, doc []byte) error {
	t.Helper()
	d, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return sch.Validate(d)
}

// TestSARIFValid: "cradle vuln scan --format sarif" validates against the
// SARIF 2.1.0 schema: the golden report (findings with VEX, fixed and
// unfixed, unknown severity, database gaps), a report without findings,
// and a target whose name needs escaping in a URI.
func TestSARIFValid(t *testing.T) {
	sch := sarifSchema(t)
	golden, err := os.ReadFile(filepath.Join("testdata", "report.sarif.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if err := validateSARIF(t, sch, golden); err != nil {
		t.Errorf("report.sarif.golden: %v", err)
	}
	empty := report(t, "critical")
	empty.Findings, empty.Gaps = nil, nil
	empty.Decide()
	odd := report(t, "low")
	odd.Target = "root:/srv/my rootfs/ä#1"
	odd.Decide()
	for name, r := range map[string]*Report{"no findings": empty, "odd target": odd} {
		var buf bytes.Buffer
		if err := r.SARIF(&buf, "1.2.3"); err != nil {
			t.Fatal(err)
		}
		if err := validateSARIF(t, sch, buf.Bytes()); err != nil {
			t.Errorf("%s: %v\n%s", name, err, buf.Bytes())
		}
	}
	// The check is not vacuous: a result level SARIF does not define fails.
	bad := bytes.Replace(golden, []byte(`"level": "error"`), []byte(`"level": "fatal"`), 1)
	if bytes.Equal(bad, golden) {
		t.Fatal("the golden report has no error-level result to break")
	}
	if validateSARIF(t, sch, bad) == nil {
		t.Error("a result of level \"fatal\" passed the schema")
	}
}
