package fim_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/fim"
	"github.com/cradle-cra/cradle/internal/output"
)

// TestRenderedEqualsConverted: every format of a report rendered from
// memory (names with bytes that are not UTF-8 included) is byte for byte
// what cradle convert renders from its saved JSON, the golden files the
// convert test in internal/output checks.
func TestRenderedEqualsConverted(t *testing.T) {
	reg := output.Default()
	spec, err := reg.Spec(output.KindFIMReport)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*fim.Report{"check": fim.SampleReport(), "show": fim.SampleShow()} {
		for _, format := range spec.Formats() {
			golden := map[string]string{
				"table": filepath.Join("testdata", name+".table.golden"),
				"json":  filepath.Join("testdata", name+".json.golden"),
				"sarif": filepath.Join("..", "render", "testdata", "fim-"+name+".sarif.golden"),
				"junit": filepath.Join("..", "render", "testdata", "fim-"+name+".junit.xml.golden"),
				"html":  filepath.Join("..", "render", "testdata", "fim-"+name+".html.golden"),
			}[format]
			if golden == "" {
				t.Errorf("format %s has no golden file", format)
				continue
			}
			var b bytes.Buffer
			sink, err := reg.Open(output.KindFIMReport, format, "", &b)
			if err != nil {
				t.Fatal(err)
			}
			if err := sink.Write(r, output.Options{}); err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s as %s differs from %s", name, format, golden)
			}
		}
	}
}
