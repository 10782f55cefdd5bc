package output

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	reg := Default()
	want := []Kind{KindAdvisory, KindAnnex1Matrix, KindCaseList, KindChangeLog, KindClassification, KindDriftReport, KindEvidenceManifest, KindFIMReport, KindFixPlan, KindKeyList, KindRuleList, KindRunList, KindSBOMCheck, KindSBOMDiff, KindScanReport, KindSCAPInfo, KindVersion, KindVulnReport, KindWatchEvent}
	if got := reg.Kinds(); !equal(got, want) {
		t.Fatalf("kinds %v, want %v", got, want)
	}
	for _, k := range reg.Kinds() {
		s, _ := reg.Spec(k)
		if s.Kind != k || s.decode == nil || s.formats["json"] == nil || s.formats["table"] == nil {
			t.Errorf("%s: incomplete spec %+v", k, s)
		}
		if major(s.SchemaVersion) == "" || !strings.Contains(s.SchemaVersion, ".") {
			t.Errorf("%s: schema version %q is not MAJOR.MINOR", k, s.SchemaVersion)
		}
	}
	if f := mustSpec(t, reg, KindScanReport).Formats(); strings.Join(f, ",") != "arf,html,json,junit,sarif,table,xccdf" {
		t.Errorf("scan formats %v", f)
	}
	_, err := reg.Lookup(KindDriftReport, "sarif")
	var ue *UsageError
	if !errors.As(err, &ue) || ue.ExitCode() != 2 || !strings.Contains(err.Error(), `unknown format "sarif" for a drift_report (want json, table)`) {
		t.Errorf("Lookup(drift_report, sarif) = %v", err)
	}
	if _, err := reg.Spec("nope"); !IsUsage(err) {
		t.Errorf("Spec(nope) = %v", err)
	}
	if err := reg.Add(mustSpec(t, reg, KindFixPlan)); err == nil {
		t.Error("a kind was registered twice")
	}

	// A kind added from outside: its formats, its decoder, no duplicates.
	type note struct {
		SchemaVersion string `json:"schema_version"`
		Kind          string `json:"kind"`
		Text          string `json:"text"`
	}
	s := NewSpec[note]("note", "1.0", true)
	text := func(w io.Writer, n *note, _ Options) error { _, err := io.WriteString(w, n.Text); return err }
	if err := Handle(s, "text", text); err != nil {
		t.Fatal(err)
	}
	if err := Handle(s, "text", text); err == nil {
		t.Error("a format was registered twice")
	}
	if err := reg.Add(s); err != nil {
		t.Fatal(err)
	}
	_, doc, err := reg.Decode("n.json", []byte(`{"schema_version":"1.3","kind":"note","text":"hi"}`))
	var out strings.Builder
	if sink, serr := reg.Open("note", "text", "", &out); err != nil || serr != nil || sink.Write(doc, Options{}) != nil || out.String() != "hi" {
		t.Errorf("note: %v %v %q", err, serr, out.String())
	}
}

func mustSpec(t *testing.T, reg *Registry, k Kind) *Spec {
	t.Helper()
	s, err := reg.Spec(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDecodeErrors(t *testing.T) {
	reg := Default()
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "  \n", "doc.json: empty"},
		{"syntax", "{\n  \"kind\": \"scan_report\",\n  \"schema_version\": \"1.1\"\n  \"x\": 1}", "doc.json:4:3: invalid character"},
		{"truncated", "{\"kind\": \"scan_report\", \"schema_version\": \"1.1\", \"results\": [", "doc.json:1:"},
		{"array", "[]", "not a cradle JSON document"},
		{"no kind", `{"schema_version": "1.1"}`, `no "kind"`},
		{"unknown kind", `{"schema_version": "1.0", "kind": "sbom"}`, `unknown document kind "sbom"`},
		{"major 2", `{"schema_version": "2.0", "kind": "scan_report"}`, `scan_report schema version "2.0" is not supported (this cradle reads 1.x)`},
		{"type", "{\"schema_version\": \"1.1\", \"kind\": \"scan_report\",\n \"duration_ms\": \"slow\"}", "doc.json:2:"},
		{"no severity", `{"schema_version": "1.1", "kind": "scan_report", "results": [{"rule_id": "a.b"}]}`, `doc.json: results[0] (a.b): no severity`},
		{"fix no severity", `{"schema_version": "1.1", "kind": "fix_plan", "rules": [{"rule": "a.b"}]}`, `doc.json: rules[0] (a.b): no severity`},
		{"bad severity", `{"schema_version": "1.1", "kind": "scan_report", "results": [{"severity": "dire"}]}`, `unknown severity "dire"`},
		{"stream line", "{\"schema_version\":\"1.0\",\"kind\":\"watch_event\",\"event\":\"drift\"}\n{\"schema_version\":\"1.0\",\"kind\":\"watch_event\",\"time\":5}\n", "doc.json:2:"},
		{"stream mixed", "{\"schema_version\":\"1.0\",\"kind\":\"watch_event\"}\n{\"schema_version\":\"1.1\",\"kind\":\"scan_report\"}\n", `doc.json:2:1: a "scan_report" line in a stream of "watch_event"`},
	} {
		_, _, err := reg.Decode("doc.json", []byte(tc.in))
		if !IsUsage(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	// Documents from before kinds existed are recognised.
	for in, want := range map[string]Kind{
		`{"schema_version": "1.0", "tool": {"name": "cradle"}, "results": []}`: KindScanReport,
		`{"schema_version": "1", "mode": "plan", "plan": []}`:                  KindFixPlan,
	} {
		if s, _, err := reg.Decode("old.json", []byte(in)); err != nil || s.Kind != want {
			t.Errorf("%s: %v %v", in, s, err)
		}
	}
}

func TestReadFileRefusesDirectory(t *testing.T) {
	reg := Default()
	dir := t.TempDir()
	if _, _, err := reg.ReadFile(dir); !IsUsage(err) || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	if _, _, err := reg.ReadFile(filepath.Join(dir, "missing")); !IsUsage(err) {
		t.Errorf("missing: %v", err)
	}
}
