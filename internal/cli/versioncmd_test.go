package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cradle-cra/cradle/internal/output"
	"github.com/cradle-cra/cradle/internal/version"
)

func TestVersionCommand(t *testing.T) {
	want := version.Get()

	out, errOut, code := run(t, "version")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, s := range []string{"version:", want.Version, want.GoVersion, want.OS + "/" + want.Arch} {
		if !strings.Contains(out, s) {
			t.Errorf("table output lacks %q:\n%s", s, out)
		}
	}

	out, _, code = run(t, "--version")
	if code != 0 || strings.TrimSpace(out) != "cradle version "+want.Version {
		t.Errorf("--version: exit %d, %q", code, out)
	}

	if _, _, code = run(t, "version", "--format", "yaml"); code != ExitUsage {
		t.Errorf("unknown format: exit %d, want %d", code, ExitUsage)
	}
	if _, _, code = run(t, "version", "extra"); code != ExitUsage {
		t.Errorf("extra argument: exit %d, want %d", code, ExitUsage)
	}
}

// TestVersionJSONMatchesSchema validates `cradle version --format json`
// against docs/schemas/version.schema.json, with the values of this test
// binary and with every field a release build stamps.
func TestVersionJSONMatchesSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(filepath.Join("..", "..", "docs", "schemas", "version.schema.json"))
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	out, errOut, code := run(t, "version", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	stamped := version.Info{Version: "0.0.0-snapshot+0123456789ab", Revision: "0123456789abcdef0123456789abcdef01234567",
		Time: "2026-01-02T03:04:05Z", Modified: true, GoVersion: "go1.26.8", OS: "linux", Arch: "arm64"}
	var b strings.Builder
	sink, err := output.Default().Open(output.KindVersion, "json", "", &b)
	if err != nil {
		t.Fatal(err)
	}
	doc := stamped.Document()
	if err := sink.Write(&doc, output.Options{}); err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{"this binary": out, "stamped": b.String()} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: %v\n%s", name, err, doc)
		}
		m := inst.(map[string]any)
		if m["kind"] != "version" || m["schema_version"] != version.SchemaVersion {
			t.Errorf("%s: kind/schema_version = %v/%v", name, m["kind"], m["schema_version"])
		}
	}
	// The schema must reject what it claims to: a wrong kind.
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(strings.Replace(b.String(), `"kind": "version"`, `"kind": "scan"`, 1)))
	if sch.Validate(bad) == nil {
		t.Error("schema accepts kind \"scan\"")
	}
}
