package sbom

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// xsdCheck validates a CycloneDX XML document against the official 1.6
// XML schema (testdata/schema/bom-1.6.xsd, which imports spdx.xsd) with
// libxml2's xmllint: no pure-Go XSD validator is well kept, and an
// independent validator is the stronger test anyway. The schema's import
// names its SPDX schema by URL; a copy pointing at the local file keeps
// the run offline (--nonet).
func xsdCheck(t *testing.T, doc []byte) error {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		targettest.Missing(t, "xmllint (libxml2-utils) is not installed: the CycloneDX XML schema check did not run")
		return nil
	}
	dir := t.TempDir()
	xsd, err := os.ReadFile(filepath.Join("testdata", "schema", "bom-1.6.xsd"))
	if err != nil {
		t.Fatal(err)
	}
	const remote = `schemaLocation="http://cyclonedx.org/schema/spdx"`
	if !bytes.Contains(xsd, []byte(remote)) {
		t.Fatal("bom-1.6.xsd no longer imports the SPDX schema by its URL")
	}
	xsd = bytes.Replace(xsd, []byte(remote), []byte(`schemaLocation="spdx.xsd"`), 1)
	spdx, err := os.ReadFile(filepath.Join("testdata", "schema", "spdx.xsd"))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"bom-1.6.xsd": xsd, "spdx.xsd": spdx, "doc.xml": doc} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(xmllint, "--nonet", "--noout", "--schema",
		filepath.Join(dir, "bom-1.6.xsd"), filepath.Join(dir, "doc.xml")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("xmllint: %v\n%s", err, out)
	}
	return nil
}

// TestXSDRejects: the XML schema check is not vacuous.
func TestXSDRejects(t *testing.T) {
	good := renderAs(t, build(t, "testdata/rootfs"), FormatCycloneDXXML, goldenOpts)
	if err := xsdCheck(t, good); err != nil {
		t.Fatalf("the golden document fails: %v", err)
	}
	bad := bytes.Replace(good, []byte(`type="library"`), []byte(`type="gadget"`), 1)
	if bytes.Equal(bad, good) {
		t.Fatal("no library component to break")
	}
	if xsdCheck(t, bad) == nil {
		t.Error("a component of an unknown type passed the XML schema")
	}
}
