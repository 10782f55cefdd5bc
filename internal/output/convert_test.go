package output

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestConvertFIMGoldens: a saved fim report converts to the goldens of
// its renderers (internal/fim checks they equal the direct rendering).
func TestConvertFIMGoldens(t *testing.T) {
	reg := Default()
	for _, name := range []string{"check", "show"} {
		from := filepath.Join("..", "fim", "testdata", name+".json.golden")
		for format, golden := range map[string]string{
			"table": filepath.Join("..", "fim", "testdata", name+".table.golden"),
			"json":  from,
			"sarif": filepath.Join("..", "render", "testdata", "fim-"+name+".sarif.golden"),
			"junit": filepath.Join("..", "render", "testdata", "fim-"+name+".junit.xml.golden"),
			"html":  filepath.Join("..", "render", "testdata", "fim-"+name+".html.golden"),
		} {
			spec, doc, err := reg.ReadFile(from)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			sink, err := reg.Open(spec.Kind, format, "", &b)
			if err != nil {
				t.Fatal(err)
			}
			if err := sink.Write(doc, Options{}); err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("convert %s --format %s differs from %s", from, format, golden)
			}
		}
	}
}

// TestConvertScanGoldens is the round-trip guarantee of cradle convert:
// the saved JSON of a scan, re-rendered, is byte for byte what the scan
// renderers wrote from the report itself (the golden files of
// internal/render, whose fixture has every status, waivers of both kinds
// and hostile text).
func TestConvertScanGoldens(t *testing.T) {
	dir := filepath.Join("..", "render", "testdata")
	cases := []struct {
		from, golden, format string
		opts                 Options
	}{
		{"report.json", "report.sarif", "sarif", Options{}},
		{"report.json", "report.junit.xml", "junit", Options{}},
		{"report.json", "report.html", "html", Options{}},
		{"report.json", "report.json", "json", Options{}},
		{"report.json", "table.txt", "table", Options{}},
		{"report.json", "table-verbose.txt", "table", Options{Verbose: true}},
		{"report.json", "table-color.txt", "table", Options{Color: true}},
		{"report.json", "table-color-verbose.txt", "table", Options{Color: true, Verbose: true}},
		{"empty.json", "empty.sarif", "sarif", Options{}},
		{"empty.json", "empty.junit.xml", "junit", Options{}},
		{"empty.json", "empty.html", "html", Options{}},
		{"empty.json", "empty.json", "json", Options{}},
		{"empty.json", "empty.txt", "table", Options{}},
	}
	reg := Default()
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			spec, doc, err := reg.ReadFile(filepath.Join(dir, tc.from+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			if spec.Kind != KindScanReport {
				t.Fatalf("kind %s", spec.Kind)
			}
			want, err := os.ReadFile(filepath.Join(dir, tc.golden+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out")
			sink, err := reg.Open(spec.Kind, tc.format, out, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := sink.Write(doc, tc.opts); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("convert %s --format %s differs from %s", tc.from, tc.format, tc.golden)
			}
		})
	}
}
