package csaf

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cradle-cra/cradle/internal/casestore"
	"github.com/cradle-cra/cradle/internal/product"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var now = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func productFile(t *testing.T) *product.File {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "cradle.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := product.Parse("cradle.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// cases are the scenarios the goldens cover.
func cases() map[string]*casestore.Case {
	received := *at("2026-12-01T08:00:00Z")
	return map[string]*casestore.Case{
		// An imported, actively exploited (KEV) vulnerability, fixed.
		"fixed-kev": {ID: "CASE-2026-0001", Title: "DSA-5800-1: openssl: buffer overflow in X.509 name checks", Product: "edge-gateway",
			Description: "A crafted certificate overflows a buffer in openssl's name checks.", Versions: []string{"2.4.0"}, FixedVersions: []string{"2.4.1"},
			Components: []string{"pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"},
			Fixes: []casestore.ComponentFix{{Component: "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", Name: "openssl", Fixed: []string{"3.0.15-1~deb12u1"}},
				{Component: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", Name: "libssl3", Fixed: []string{"3.0.15-1~deb12u1"}}},
			Aliases: []string{"DSA-5800-1", "CVE-2026-1111"}, Received: received, Status: casestore.Fixed,
			CVSS3: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Exploited: true, Aware: at("2026-12-01T09:00:00Z"),
			Mitigated: at("2026-12-03T12:00:00Z"), Mitigation: "Release 2.4.1 ships openssl 3.0.15.", UserActions: "Restrict the management interface to trusted networks.",
			Source: &casestore.Source{Kind: "vuln_report", Key: "DSA-5800-1@edge-gateway", KEV: "2026-12-01"}},
		// Reported, being triaged: under investigation, no remediation.
		"triage": {ID: "CASE-2026-0002", Title: "Session fixation in the web UI", Versions: []string{"2.4.0", "2.4.1"},
			Received: received, Status: casestore.Triage, CVSS4: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:L/VA:N/SC:N/SI:N/SA:N"},
		// Closed as not affected: the VEX states why.
		"not-affected": {ID: "CASE-2026-0003", Title: "CVE-2026-2222: zlib: out-of-bounds read", Versions: []string{"2.4.0"},
			Components: []string{"pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12"}, Aliases: []string{"CVE-2026-2222"},
			Received: received, Status: casestore.Closed, Resolution: "not_affected", CVSS3: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:L"},
		// Confirmed, no fix yet, no versions recorded: the product itself.
		"no-fix": {ID: "CASE-2026-0004", Title: "Hard-coded debug credential", Received: received, Status: casestore.Confirmed,
			CVSS3: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Aliases: []string{"GHSA-abcd-efgh-ijkl"}},
	}
}

func build(t *testing.T, c *casestore.Case, impact string, revs []casestore.Revision, final bool) []*Document {
	t.Helper()
	in := Input{Case: c, Product: productFile(t), Severity: "critical", Impact: impact, Engine: Engine{Name: "cradle", Version: "1.2.3"}}
	in.Tracking, _ = Track(revs, "digest", final, "", now)
	var docs []*Document
	for _, p := range []string{ProfileAdvisory, ProfileVEX} {
		d, err := Build(in, p)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	return docs
}

func TestGolden(t *testing.T) {
	var files []string
	for name, c := range cases() {
		impact := ""
		if name == "not-affected" {
			impact = "The product's image does not use zlib's inflateGetHeader, the vulnerable function."
		}
		for _, d := range build(t, c, impact, nil, name != "triage") {
			b, err := Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join("testdata", "golden", name+"-"+strings.TrimPrefix(d.Document.Category, "csaf_")+".json")
			files = append(files, p)
			if *update {
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(p)
			if err != nil || !bytes.Equal(want, b) {
				t.Errorf("%s differs (go test ./internal/csaf -run TestGolden -update):\n%s", p, b)
			}
			if err := validate(t, "csaf_json_schema.json", b); err != nil {
				t.Errorf("%s: OASIS schema: %v", p, err)
			}
		}
	}
	runValidator(t, files...)
}

// schemaCompiler loads the vendored OASIS and FIRST schemas under their
// own URLs, so the CSAF schema's references resolve offline.
func validate(t *testing.T, schema string, doc []byte) error {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseRegexpEngine(func(s string) (jsonschema.Regexp, error) { return regexp.Compile(s) })
	for name, url := range map[string]string{
		"csaf_json_schema.json":     "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
		"provider_json_schema.json": "https://docs.oasis-open.org/csaf/csaf/v2.0/provider_json_schema.json",
		"cvss-v2.0.json":            "https://www.first.org/cvss/cvss-v2.0.json",
		"cvss-v3.0.json":            "https://www.first.org/cvss/cvss-v3.0.json",
		"cvss-v3.1.json":            "https://www.first.org/cvss/cvss-v3.1.json",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", "schema", name))
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.AddResource(url, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	id := map[string]string{"csaf_json_schema.json": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
		"provider_json_schema.json": "https://docs.oasis-open.org/csaf/csaf/v2.0/provider_json_schema.json"}[schema]
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	d, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return sch.Validate(d)
}

// TestSchemaRejects: the schema check is not vacuous.
func TestSchemaRejects(t *testing.T) {
	d := build(t, cases()["fixed-kev"], "", nil, true)[0]
	d.Vulnerabilities[0].Scores[0].CVSSV3.BaseSeverity = "SEVERE"
	d.Document.Tracking.Status = "published"
	b, _ := Marshal(d)
	if err := validate(t, "csaf_json_schema.json", b); err == nil {
		t.Error("an invalid document passed the schema")
	}
}

// runValidator runs the independent validator (secvisogram's
// csaf-validator-lib: the schema and every mandatory test) on files.
// CRADLE_TEST_CSAF_VALIDATOR names scripts/csaf-validator/validate.mjs
// with its node_modules installed; CI sets it (.ci/run).
func runValidator(t *testing.T, files ...string) {
	t.Helper()
	script := os.Getenv("CRADLE_TEST_CSAF_VALIDATOR")
	if script == "" {
		if os.Getenv("CRADLE_REQUIRE_FIXTURES") == "1" {
			t.Fatal("CRADLE_TEST_CSAF_VALIDATOR is not set (scripts/csaf-validator; .ci/run installs it)")
		}
		t.Log("CRADLE_TEST_CSAF_VALIDATOR not set: the independent CSAF validator did not run")
		return
	}
	out, err := exec.Command("node", append([]string{script}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("csaf-validator-lib: %v\n%s", err, out)
	}
}

func TestTrack(t *testing.T) {
	tr, added := Track(nil, "d1", false, "", now)
	if tr.Status != StatusDraft || tr.Version != "0" || added != nil {
		t.Errorf("draft %+v %+v", tr, added)
	}
	tr, added = Track(nil, "d1", true, "", now)
	if tr.Status != StatusFinal || tr.Version != "1" || added == nil || added.Summary != "Initial release." {
		t.Fatalf("first %+v %+v", tr, added)
	}
	revs := []casestore.Revision{*added}
	if tr, added = Track(revs, "d1", true, "", now.Add(time.Hour)); tr.Version != "1" || added != nil || tr.CurrentReleaseDate != "2026-12-05T10:00:00Z" {
		t.Errorf("unchanged %+v %+v", tr, added)
	}
	if tr, added = Track(revs, "d2", false, "fix version", now.Add(time.Hour)); tr.Status != StatusInterim || tr.Version != "2" || added != nil {
		t.Errorf("interim %+v %+v", tr, added)
	}
	tr, added = Track(revs, "d2", true, "", now.Add(time.Hour))
	if tr.Status != StatusFinal || tr.Version != "2" || added == nil || added.Summary != "Updated." || len(tr.RevisionHistory) != 2 ||
		tr.InitialReleaseDate != "2026-12-05T10:00:00Z" || tr.CurrentReleaseDate != "2026-12-05T11:00:00Z" {
		t.Errorf("second %+v %+v", tr, added)
	}
}

func TestBuildRefuses(t *testing.T) {
	p := productFile(t)
	c := cases()["fixed-kev"]
	c.FixedVersions = []string{"2.4.0"}
	tr, _ := Track(nil, "", false, "", now)
	if _, err := Build(Input{Case: c, Product: p, Tracking: tr}, ProfileAdvisory); err == nil || !strings.Contains(err.Error(), "both as affected and as fixed") {
		t.Errorf("contradiction: %v", err)
	}
	c = cases()["triage"]
	c.Status, c.Resolution = casestore.Closed, "duplicate"
	if _, err := Build(Input{Case: c, Product: p, Tracking: tr}, ProfileVEX); err == nil {
		t.Error("duplicate published")
	}
	p.Manufacturer.Website = ""
	if _, err := Build(Input{Case: cases()["triage"], Product: p, Tracking: tr}, ProfileVEX); err == nil || !strings.Contains(err.Error(), "manufacturer.website") {
		t.Errorf("no namespace: %v", err)
	}
}

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{"CASE-2026-0001": "case-2026-0001.json", "Example SA 2026:01": "example_sa_2026_01.json", "a+b": "a+b.json"} {
		if got := FileName(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
