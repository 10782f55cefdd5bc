package checks

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/facts.md")

func TestFactsDoc(t *testing.T) {
	var b strings.Builder
	if err := WriteFactsDoc(&b); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join("..", "..", "docs", "facts.md")
	if *update {
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil || string(want) != b.String() {
		t.Fatal("docs/facts.md is out of date with the fact catalogue; run: go test ./internal/checks -run TestFactsDoc -update")
	}
}

func TestFactCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range FactSources() {
		if s.Name == "" || seen[s.Name] || s.Description == "" || s.collect == nil || len(s.Fields) == 0 {
			t.Errorf("incomplete or duplicate source %+v", s)
		}
		seen[s.Name] = true
		for _, f := range s.Fields {
			if f.Name == "" || f.Type == "" || strings.Contains(f.Type, "dyn") {
				t.Errorf("%s: field %+v has no precise type", s.Name, f)
			}
		}
	}
}

// checkShape compares the top-level fields of a collected fact with the
// catalogue.
func checkShape(t *testing.T, src FactSource, v any) {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%T is not an object", v)
	}
	var names []string
	for _, f := range src.Fields {
		names = append(names, f.Name)
		if _, ok := m[f.Name]; !ok && !f.Optional {
			t.Errorf("catalogued field %q is missing", f.Name)
		}
	}
	for k := range m {
		if !slices.Contains(names, k) {
			t.Errorf("field %q is not catalogued", k)
		}
	}
}
