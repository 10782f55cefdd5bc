package render

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cradle-cra/cradle/internal/result"
)

// TestJSONMatchesSchema validates the JSON renderer's output (the golden
// fixtures and a report with no results) against
// docs/schemas/scan_report.schema.json, so the published schema and the
// code cannot drift apart (internal/output validates every other kind).
func TestJSONMatchesSchema(t *testing.T) {
	schemaPath := filepath.Join("..", "..", "docs", "schemas", "scan_report.schema.json")
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("report.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("report.schema.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	reports := map[string]*result.Report{
		"fixture": fixture(),
		"empty":   emptyReport(),
		"nil collections": {SchemaVersion: result.SchemaVersion, Tool: result.Tool{Name: "cradle"},
			Target: result.Target{Kind: "host", Name: "/"}, Profile: "default",
			Results: []result.Result{{RuleID: "x.y", Status: result.Pass, Severity: result.SeverityLow}}},
	}
	for name, rep := range reports {
		t.Run(name, func(t *testing.T) {
			out := render(t, "json", rep, Options{})
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("JSON report does not match %s: %v", schemaPath, err)
			}
		})
	}

	t.Run("rejects", func(t *testing.T) {
		bad := map[string]func(m map[string]any){
			"missing summary key": func(m map[string]any) { delete(m["summary"].(map[string]any), "waived") },
			"unknown status": func(m map[string]any) {
				m["results"].([]any)[0].(map[string]any)["status"] = "skipped"
			},
			"waiver on a fail": func(m map[string]any) {
				m["results"].([]any)[0].(map[string]any)["waiver"] = map[string]any{"justification": "x"}
			},
			"major version 2": func(m map[string]any) { m["schema_version"] = "2.0" },
			"no kind":         func(m map[string]any) { delete(m, "kind") },
			"another kind":    func(m map[string]any) { m["kind"] = "fix_plan" },
		}
		for name, mutate := range bad {
			var m map[string]any
			if err := json.Unmarshal(render(t, "json", fixture(), Options{}), &m); err != nil {
				t.Fatal(err)
			}
			mutate(m)
			if err := sch.Validate(m); err == nil {
				t.Errorf("%s: schema accepted an invalid report", name)
			}
		}
	})
}

// TestSARIFMatchesSchema validates the SARIF goldens against the official
// SARIF 2.1.0 JSON schema when CRADLE_SARIF_SCHEMA names a local copy (the
// schema is not vendored here; e.g. the sarif-2.1.0.json shipped in the
// @microsoft/sarif-multitool npm packages).
func TestSARIFMatchesSchema(t *testing.T) {
	path := os.Getenv("CRADLE_SARIF_SCHEMA")
	if path == "" {
		t.Skip("CRADLE_SARIF_SCHEMA not set")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, rep := range []*result.Report{fixture(), emptyReport()} {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(render(t, "sarif", rep, Options{})))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("SARIF for %s does not match the schema: %v", rep.Target.Name, err)
		}
	}
	for _, name := range []string{"fim-check.sarif", "fim-show.sarif"} {
		b, err := os.ReadFile(goldenPath(name))
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s does not match the schema: %v", name, err)
		}
	}
}
