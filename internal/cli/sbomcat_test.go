package cli

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSBOMCatalogers: cradle sbom --root on a tree of lockfiles and
// installed metadata lists the language catalogers' components, and
// --file catalogues one file.
func TestSBOMCatalogers(t *testing.T) {
	langs := filepath.Join("..", "sbom", "testdata", "langs")
	env := map[string]string{"CRADLE_HOME": t.TempDir(), "SOURCE_DATE_EPOCH": "1767323045"}
	purls := func(args ...string) []string {
		t.Helper()
		out, errs, code := runIn(t, env, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		var doc struct {
			Components []struct{ Purl string }
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		var ps []string
		for _, c := range doc.Components {
			ps = append(ps, c.Purl)
		}
		return ps
	}
	all := purls("sbom", "--root", langs)
	for _, want := range []string{
		"pkg:golang/github.com/fork/alpha@v1.4.3", "pkg:npm/%40acme/util@2.0.1", "pkg:npm/kleur@4.1.5",
		"pkg:npm/react@18.2.0", "pkg:pypi/tiny-http@2.1.0", "pkg:pypi/six@1.16.0", "pkg:cargo/serde@1.0.210",
	} {
		if !slices.Contains(all, want) {
			t.Errorf("--root: no %s in %v", want, all)
		}
	}
	one := purls("sbom", "--file", filepath.Join(langs, "srv", "rust", "Cargo.lock"))
	if len(one) != 4 || !strings.HasPrefix(one[0], "pkg:cargo/") {
		t.Errorf("--file: %v", one)
	}
	if _, errs, code := runIn(t, env, "sbom", "--file", langs); code != ExitUsage || !strings.Contains(errs, "not a regular file") {
		t.Errorf("--file DIR: exit %d, %s", code, errs)
	}
	if _, errs, code := runIn(t, env, "sbom", "--file", "x", "--root", langs); code != ExitUsage || !strings.Contains(errs, "cannot be combined") {
		t.Errorf("--file with --root: exit %d, %s", code, errs)
	}
}
