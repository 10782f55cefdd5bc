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
		"format":     {nil, []string{"sbom", "--root", root, "--format", "spdx-json"}, "unknown SBOM format"},
		"epoch":      {map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}, []string{"sbom", "--root", root}, "SOURCE_DATE_EPOCH"},
		"no target":  {nil, []string{"sbom", "--root", filepath.Join(t.TempDir(), "missing")}, "missing"},
		"empty root": {nil, []string{"sbom", "--root", ""}, "--root is empty"},
	} {
		t.Run(name, func(t *testing.T) {
			_, errs, code := runIn(t, tc.env, tc.args...)
			if code != ExitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errs, ExitUsage, tc.want)
			}
		})
	}
}
