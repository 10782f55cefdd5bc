package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSBOMCommand(t *testing.T) {
	root := filepath.Join("..", "sbom", "testdata", "rootfs")
	env := map[string]string{"CRADLE_HOME": t.TempDir(), "SOURCE_DATE_EPOCH": "1767323045"}
	file := filepath.Join(t.TempDir(), "out.cdx.json")
	if _, errs, code := runIn(t, env, "sbom", "--root", root, "-o", file); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	written, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out, _, code := runIn(t, env, "sbom", "--root", root, "--format", "cyclonedx-json")
	if code != 0 || out != string(written) {
		t.Errorf("stdout and -o differ, or not reproducible (exit %d)", code)
	}
	var doc struct {
		SpecVersion string `json:"specVersion"`
		Metadata    struct{ Timestamp string }
		Components  []struct{ Name, Purl string }
	}
	if err := json.Unmarshal(written, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SpecVersion != "1.6" || doc.Metadata.Timestamp != "2026-01-02T03:04:05Z" || len(doc.Components) != 5 {
		t.Errorf("document %+v", doc)
	}
	for _, c := range doc.Components {
		if !strings.HasPrefix(c.Purl, "pkg:deb/debian/") {
			t.Errorf("%s: purl %q", c.Name, c.Purl)
		}
	}
}

func TestSBOMUsage(t *testing.T) {
	root := filepath.Join("..", "sbom", "testdata", "rootfs")
	for name, tc := range map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"format":      {nil, []string{"sbom", "--root", root, "--format", "spdx-rdf"}, "unknown SBOM format"},
		"creator":     {nil, []string{"sbom", "--root", root, "--creator", "nobody"}, "--creator"},
		"files":       {nil, []string{"sbom", "--root", root, "--files", "--no-file-hashes"}, "--files"},
		"no sbom":     {nil, []string{"sbom", "check", filepath.Join(root, "etc", "os-release")}, "not a readable SBOM"},
		"min score":   {nil, []string{"sbom", "check", filepath.Join("..", "sbom", "testdata", "rootfs.cdx.json"), "--min-score", "101"}, "--min-score"},
		"diff args":   {nil, []string{"sbom", "diff", "a"}, "accepts 2 arg"},
		"epoch":       {map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}, []string{"sbom", "--root", root}, "SOURCE_DATE_EPOCH"},
		"no target":   {nil, []string{"sbom", "--root", filepath.Join(t.TempDir(), "missing")}, "missing"},
		"empty root":  {nil, []string{"sbom", "--root", ""}, "--root is empty"},
		"exclude rel": {nil, []string{"sbom", "--root", root, "--exclude", "usr"}, "--exclude"},
		"exclude /":   {nil, []string{"sbom", "--root", root, "--exclude", "/"}, "--exclude"},
	} {
		t.Run(name, func(t *testing.T) {
			_, errs, code := runIn(t, tc.env, tc.args...)
			if code != ExitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errs, ExitUsage, tc.want)
			}
		})
	}
}

// TestSBOMCheckCommand: every format cradle writes is read back by
// check; the own SBOM passes --min-score 100 when a creator is given,
// and falls short (exit 3) without one.
func TestSBOMCheckCommand(t *testing.T) {
	root := filepath.Join("..", "sbom", "testdata", "rootfs")
	env := map[string]string{"CRADLE_HOME": t.TempDir(), "SOURCE_DATE_EPOCH": "1767323045"}
	dir := t.TempDir()
	for _, format := range []string{"cyclonedx-json", "cyclonedx-xml", "spdx-json"} {
		file := filepath.Join(dir, format)
		if _, errs, code := runIn(t, env, "sbom", "--root", root, "--format", format, "--creator", "SBOM Team <sbom@example.com>", "-o", file); code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errs)
		}
		out, errs, code := runIn(t, env, "sbom", "check", file, "--min-score", "100", "--format", "json")
		var r struct {
			Score      float64
			Conformant bool
		}
		if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil || !r.Conformant {
			t.Errorf("%s: exit %d, %v, %s %s", format, code, err, out, errs)
		}
	}
	bare := filepath.Join(dir, "bare.cdx.json")
	if _, errs, code := runIn(t, env, "sbom", "--root", root, "--no-file-hashes", "-o", bare); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	out, errs, code := runIn(t, env, "sbom", "check", bare, "--min-score", "100")
	if code != ExitFindings || !strings.Contains(out, "creator     missing") || !strings.Contains(errs, "below --min-score") {
		t.Errorf("exit %d, stdout %s, stderr %s", code, out, errs)
	}
	out, _, code = runIn(t, env, "sbom", "diff", bare, filepath.Join(dir, "spdx-json"))
	if code != 0 || !strings.Contains(out, "0 added, 0 removed, 0 changed, 5 unchanged") {
		t.Errorf("diff: exit %d: %s", code, out)
	}
}
