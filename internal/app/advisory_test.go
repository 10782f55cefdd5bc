package app

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files")

// TestAdvisoryGolden runs the use cases on a fixed clock: a case with an
// actively exploited vulnerability, fixed, published as revision 1; the
// documents match the goldens.
func TestAdvisoryGolden(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	env := map[string]string{"CRADLE_HOME": t.TempDir()}
	a := &App{Getenv: func(k string) string { return env[k] }, UID: -1, Version: "1.0.0-test", Now: func() time.Time { return clock }}
	str := func(s string) *string { return &s }
	yes := true
	in := CaseInput{Actor: "jdoe", Fields: CaseFields{Title: str("RCE in the web UI"), Product: str("edge-gateway"), Versions: []string{"2.4.0"},
		Aliases: []string{"CVE-2026-12345"}, Description: str("A crafted request runs commands as root."),
		CVSS3: str("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), Received: str("2026-12-01T08:00:00Z"),
		Exploited: &yes, Aware: str("2026-12-02T09:00:00Z"), Components: []string{"pkg:deb/debian/lighttpd@1.4.69-1?arch=amd64"}}}
	if _, err := a.CaseNew(ctx, in); err != nil {
		t.Fatal(err)
	}
	for _, f := range []CaseFields{{Status: str("confirmed")}, {Status: str("fixed"), FixedVersions: []string{"2.4.1"},
		Mitigated: str("2026-12-04T12:00:00Z"), Mitigation: str("Release 2.4.1 validates the request."), UserActions: str("Block the web UI port at the firewall.")}} {
		if _, err := a.CaseUpdate(ctx, "CASE-2026-0001", CaseInput{Actor: "jdoe", Fields: f}); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	res, err := a.Advisory(ctx, AdvisoryInput{Case: "CASE-2026-0001", Config: filepath.Join("testdata", "cradle.yaml"), Out: out, Final: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "final" || res.Version != "1" {
		t.Errorf("result %+v", res)
	}
	for _, d := range res.Documents {
		b, err := os.ReadFile(d.Path)
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "advisory-"+filepath.Base(d.Path)+".golden")
		if *updateGolden {
			if err := os.WriteFile(golden, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(want, b) {
			t.Errorf("%s differs (go test ./internal/app -run TestAdvisoryGolden -update):\n%s", golden, b)
		}
	}
	if _, err := a.CaseVerify(ctx, "", nil); err != nil {
		t.Errorf("verify: %v", err)
	}
}
