package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/catalog"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/output"
	"github.com/cradle-cra/cradle/internal/output/outputtest"
	"github.com/cradle-cra/cradle/internal/target"
)

// TestEveryDocumentKind drives every command that writes JSON on one
// tree — scan, drift, watch, fix, runs, log — validates each real output
// against its schema, and converts it back: to JSON byte for byte, and to
// a table.
func TestEveryDocumentKind(t *testing.T) {
	root, mustRun, _ := driftFixture(t)
	dir := t.TempDir()
	mustRun(0, "baseline", "approve", "--root", root, "--change-ref", "CHG-7", "--actor", "jdoe")
	mustRun(0, "fim", "init", "--root", root, "--change-ref", "CHG-7")
	if err := os.WriteFile(filepath.Join(root, "etc/ssh/sshd_config"), []byte(sshdDrifted), 0o644); err != nil {
		t.Fatal(err)
	}
	docs := map[output.Kind]string{}
	docs[output.KindDriftReport], _ = mustRun(3, "drift", "--root", root, "--format", "json")
	docs[output.KindFIMReport], _ = mustRun(3, "fim", "check", "--root", root, "--format", "json")
	docs[output.KindWatchEvent], _ = mustRun(0, "watch", "--root", root, "--once", "--nice", "0", "--ioprio", "none")
	mustRun(3, "scan", "--root", root, "--format", "json", "-o", filepath.Join(dir, "scan.json"))
	plan := filepath.Join(dir, "plan.json")
	mustRun(0, "fix", "--root", root, "--rule", "ssh.permit_root_login", "--apply", "--no-preflight", "--format", "json", "-o", plan)
	docs[output.KindRunList], _ = mustRun(0, "runs", "--root", root, "--format", "json")
	docs[output.KindChangeLog], _ = mustRun(0, "log", "--root", root, "--format", "json")
	docs[output.KindVersion], _ = mustRun(0, "version", "--format", "json")
	docs[output.KindRuleList], _ = mustRun(0, "rules", "--profile", "strict", "--format", "json")
	docs[output.KindKeyList], _ = mustRun(0, "key", "list", "--format", "json")
	vdb := filepath.Join(dir, "osv.db")
	mustRun(0, "vuln", "db", "import", "--db", vdb, filepath.Join("testdata", "vuln", "osv"))
	docs[output.KindVulnReport], _ = mustRun(3, "vuln", "scan", filepath.Join("testdata", "vuln", "app.cdx.json"), "--db", vdb, "--fail-on", "high", "--format", "json")
	bom := filepath.Join(dir, "bom.cdx.json")
	mustRun(0, "sbom", "--root", root, "--no-file-hashes", "-o", bom)
	docs[output.KindSBOMCheck], _ = mustRun(0, "sbom", "check", bom, "--format", "json")
	docs[output.KindSBOMDiff], _ = mustRun(0, "sbom", "diff", bom, bom, "--format", "json")
	store := filepath.Join(dir, "cases.db")
	mustRun(0, "case", "new", "--store", store, "--title", "t", "--exploited", "--aware", "2026-12-01T10:00:00Z", "--cvss3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
	mustRun(0, "case", "update", "CASE-2026-0001", "--store", store, "--report", "early_warning=2026-12-01T12:00:00Z,SRP-1", "--status", "confirmed")
	docs[output.KindCaseList], _ = mustRun(0, "case", "show", "CASE-2026-0001", "--store", store, "--format", "json")
	prod := filepath.Join(dir, "cradle.yaml")
	if err := os.WriteFile(prod, []byte(productYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	docs[output.KindAdvisory], _ = mustRun(0, "advisory", "CASE-2026-0001", "--store", store, "--config", prod, "-o", filepath.Join(dir, "csaf"), "--format", "json")
	docs[output.KindClassification], _ = mustRun(0, "classify", "--category", "I.11", "--standards", "partial", "--format", "json")
	docs[output.KindSCAPInfo], _ = mustRun(0, "scap", "info", filepath.Join("testdata", "scap", "test-xccdf.xml"), "--format", "json")
	for k, name := range map[output.Kind]string{output.KindScanReport: "scan.json", output.KindFixPlan: "plan.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		docs[k] = string(b)
	}
	// The evidence pack takes the documents above in.
	pf := filepath.Join(dir, "evidence-product.yaml")
	mustRun(0, "init", "--non-interactive", "--file", pf, "--product", "p", "--category", "none")
	in := func(k output.Kind) string {
		p := filepath.Join(dir, "in-"+string(k)+".json")
		if err := os.WriteFile(p, []byte(docs[k]), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pack := filepath.Join(dir, "pack")
	docs[output.KindAnnex1Matrix], _ = mustRun(0, "evidence", "build", "--config", pf, "--out", pack, "--format", "json",
		"--input", "scan="+filepath.Join(dir, "scan.json"), "--input", "fix="+plan, "--input", "drift="+in(output.KindDriftReport),
		"--input", "fim="+in(output.KindFIMReport), "--input", "sbom="+bom, "--input", "vuln="+in(output.KindVulnReport),
		"--input", "changelog="+in(output.KindChangeLog))
	if b, err := os.ReadFile(filepath.Join(pack, "manifest.json")); err == nil {
		docs[output.KindEvidenceManifest] = string(b)
	}
	mustRun(0, "evidence", "verify", pack)
	if runtime.GOOS != "windows" {
		for name, mode := range map[string]os.FileMode{"scan.json": 0o644, "plan.json": 0o600} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode().Perm()&^mode != 0 {
				t.Errorf("%s: %v, want at most %v", name, fi.Mode(), mode)
			}
		}
	}
	for _, k := range output.Default().Kinds() {
		doc, ok := docs[k]
		if !ok || doc == "" {
			t.Errorf("no %s document", k)
			continue
		}
		outputtest.Validate(t, k, []byte(doc))
		saved := filepath.Join(dir, string(k)+".json")
		if err := os.WriteFile(saved, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, _ := mustRun(0, "convert", saved, "--format", "json"); out != doc {
			t.Errorf("convert %s --format json changed it:\n%s\n---\n%s", k, doc, out)
		}
		if out, _ := mustRun(0, "convert", saved); out == "" {
			t.Errorf("convert %s: empty table", k)
		}
	}
	// Standard input, as in "cradle scan -f json | cradle convert -".
	var out, errb strings.Builder
	if code := Run(context.Background(), []string{"convert", "-", "--format", "json"},
		Env{Stdin: strings.NewReader(docs[output.KindScanReport]), Stdout: &out, Stderr: &errb}); code != 0 || out.String() != docs[output.KindScanReport] {
		t.Errorf("convert - : exit %d: %s", code, errb.String())
	}
	_, errs := mustRun(2, "convert", filepath.Join(dir, "drift_report.json"), "--format", "sarif")
	if !strings.Contains(errs, `unknown format "sarif" for a drift_report (want json, table)`) {
		t.Errorf("stderr %q", errs)
	}
}

// TestConvertSameRun is the round-trip guarantee on a real scan: one
// report written as JSON, SARIF, JUnit and HTML the way cradle scan writes
// them, then cradle convert of the JSON gives the same bytes. The tree's
// sshd_config holds bytes that are not UTF-8 and control characters.
func TestConvertSameRun(t *testing.T) {
	root := miniRoot(t)
	for name, data := range map[string]string{
		"etc/ssh/sshd_config": "PermitRootLogin yes\xff\xfe\x1b[31m\nBanner /etc/issue.net \u202e<b>\n",
		"usr/sbin/sshd":       "",
	} {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eng, err := catalog.Load("test")
	if err != nil {
		t.Fatal(err)
	}
	opts := engine.Options{Profile: "strict"}
	plan, err := eng.Plan(opts)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := target.OpenRootFS(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	rep, err := eng.Scan(context.Background(), tg, plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	reg := output.Default()
	dir := t.TempDir()
	for _, format := range []string{"json", "sarif", "junit", "html", "table"} {
		sink, err := reg.Open(output.KindScanReport, format, filepath.Join(dir, "scan."+format), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := sink.Write(rep, output.Options{Verbose: true}); err != nil {
			t.Fatal(err)
		}
	}
	saved := filepath.Join(dir, "scan.json")
	for _, format := range []string{"sarif", "junit", "html", "table"} {
		want, err := os.ReadFile(filepath.Join(dir, "scan."+format))
		if err != nil {
			t.Fatal(err)
		}
		out, errs, code := run(t, "convert", saved, "--format", format, "--verbose")
		if code != 0 {
			t.Fatalf("convert --format %s: exit %d: %s", format, code, errs)
		}
		if out != string(want) {
			t.Errorf("convert --format %s differs from the scan's own output:\n%s", format, firstLineDiff(string(want), out))
		}
	}
}

func firstLineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, al[i], bl[i])
		}
	}
	return "lengths differ"
}

func TestConvertBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"convert"}, "accepts 1 arg"},
		{[]string{"convert", filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{"convert", dir}, "not a regular file"},
		{[]string{"convert", write("bad.json", "{\n  \"kind\": \"scan_report\",\n  oops\n}")}, "bad.json:3:3: invalid character"},
		{[]string{"convert", write("v2.json", `{"schema_version":"2.0","kind":"scan_report"}`)}, `schema version "2.0" is not supported`},
		{[]string{"convert", write("other.json", `{"name":"x"}`)}, `no "kind"`},
	}
	for _, tc := range cases {
		_, errs, code := run(t, tc.args...)
		if code != ExitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}
