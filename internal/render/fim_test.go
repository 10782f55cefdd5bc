package render

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cradle-cra/cradle/internal/fim"
)

// fimReport reads a fim report the fim package's golden tests wrote: the
// renderers see what cradle convert reads back.
func fimReport(t *testing.T, name string) *fim.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "fim", "testdata", name+".json.golden"))
	if err != nil {
		t.Fatal(err)
	}
	var r fim.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

var fimFormats = map[string]func(io.Writer, *fim.Report) error{
	"sarif": FIMSARIF, "junit.xml": FIMJUnit, "html": FIMHTML,
}

// TestFIMGolden compares the fim renderers with testdata/fim-*.golden;
// run `go test ./internal/render -update` to accept new output.
func TestFIMGolden(t *testing.T) {
	for _, name := range []string{"check", "show"} {
		r := fimReport(t, name)
		for ext, f := range fimFormats {
			var b bytes.Buffer
			if err := f(&b, r); err != nil {
				t.Fatal(err)
			}
			path := goldenPath("fim-" + name + "." + ext)
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/render -update)", err)
			}
			if !bytes.Equal(want, b.Bytes()) {
				t.Errorf("output differs from %s (run with -update and review the diff)\n%s", path, firstDiff(want, b.Bytes()))
			}
			if !utf8.Valid(b.Bytes()) {
				t.Errorf("%s: invalid UTF-8", path)
			}
		}
	}
}

// TestFIMHostileNames: markup, escapes, overrides and bytes that are not
// UTF-8 in a path come out inert and visible in every format.
func TestFIMHostileNames(t *testing.T) {
	r := fimReport(t, "check")
	var h, x, s bytes.Buffer
	if err := FIMHTML(&h, r); err != nil {
		t.Fatal(err)
	}
	if err := FIMJUnit(&x, r); err != nil {
		t.Fatal(err)
	}
	if err := FIMSARIF(&s, r); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "\u202e", "\x1b", "\xff"} {
		for name, b := range map[string][]byte{"html": h.Bytes(), "junit": x.Bytes(), "sarif": s.Bytes()} {
			// SARIF text is plain text in JSON, not markup, as in scan reports.
			if bytes.Contains(b, []byte(bad)) && (name != "sarif" || bad != "<script>") {
				t.Errorf("%s carries %q", name, bad)
			}
		}
	}
	if !strings.Contains(h.String(), `/usr/lib/x\xff\xfe.so`) || !strings.Contains(h.String(), `&lt;script&gt;`) {
		t.Error("html does not show the quoted names")
	}
	if err := xml.Unmarshal(x.Bytes(), new(junitSuites)); err != nil {
		t.Errorf("junit: %v", err)
	}
	var log struct {
		Runs []fimSARIFRun `json:"runs"`
	}
	if err := json.Unmarshal(s.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	levels := map[string]string{}
	for _, res := range log.Runs[0].Results {
		levels[res.Locations[0].PhysicalLocation.ArtifactLocation.URI] = res.RuleID + " " + res.Level
	}
	for uri, want := range map[string]string{
		"etc/hosts":            "fim.changed error",   // content
		"usr/bin/cat":          "fim.removed warning", // review
		"usr/lib/x%FF%FE.so":   "fim.changed error",   // link target, exact bytes
		"usr/bin/evil%1B%5B2J": "fim.added warning",
	} {
		if levels[uri] != want {
			t.Errorf("%s: %q, want %q (all: %v)", uri, levels[uri], want, levels)
		}
	}
}

func TestFIMTampering(t *testing.T) {
	tests := []struct {
		d    fim.Diff
		want bool
	}{
		{fim.Diff{Attr: "sha256", Old: "a", New: "b"}, true},
		{fim.Diff{Attr: "target", Old: "a", New: "b"}, true},
		{fim.Diff{Attr: "mode", Old: "0755", New: "04755"}, true},
		{fim.Diff{Attr: "mode", Old: "02755", New: "02750"}, false},
		{fim.Diff{Attr: "mode", Old: "0755", New: "0777"}, false},
		{fim.Diff{Attr: "mtime", Old: "x", New: "y"}, false},
		{fim.Diff{Attr: "mode", Old: "junk", New: "0755"}, true},
	}
	for _, tc := range tests {
		if got := FIMTampering(fim.Change{Kind: fim.Changed, Diffs: []fim.Diff{tc.d}}); got != tc.want {
			t.Errorf("%+v: %v", tc.d, got)
		}
	}
}
