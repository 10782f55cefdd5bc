package evidence

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestBuildWithReport: the human report is part of the signed pack and
// shows the pack's matrix.
func TestBuildWithReport(t *testing.T) {
	k := testKey(t)
	r := build(t, k, func(o *Options) { o.Report = RenderReport })
	html, err := os.ReadFile(filepath.Join(r.Dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"edge-gateway", "CRA.A1.P1.2m", "CRA.A1.P2.8"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	pdf, err := os.ReadFile(filepath.Join(r.Dir, "report.pdf"))
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("report.pdf: %v", err)
	}
	roles := map[string]string{}
	for _, f := range r.Manifest.Files {
		roles[f.Path] = f.Role
	}
	if roles["report.html"] != RoleReport || roles["report.pdf"] != RoleReport {
		t.Errorf("report files not in the manifest: %v", roles)
	}
	if v, err := Verify(r.Zip, keyring(k)); err != nil || !v.OK() {
		t.Fatalf("pack with report does not verify: %v %v", err, v.Problems)
	}
	// The same inputs and clock give the same report bytes.
	again := build(t, k, func(o *Options) { o.Report = RenderReport })
	html2, _ := os.ReadFile(filepath.Join(again.Dir, "report.html"))
	pdf2, _ := os.ReadFile(filepath.Join(again.Dir, "report.pdf"))
	if !bytes.Equal(html, html2) || !bytes.Equal(pdf, pdf2) {
		t.Error("report is not reproducible")
	}
}
