package psirt

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/casestore"
)

func TestParseReport(t *testing.T) {
	b, err := os.ReadFile("testdata/vulns.json")
	if err != nil {
		t.Fatal(err)
	}
	gs, err := ParseReport(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 3 || gs[0].ID != "DSA-5800-1" || len(gs[0].Fixes) != 2 || !gs[0].Exploited || gs[0].KEVAdded != "2026-12-01" ||
		gs[1].Exploited || gs[1].Suppressed || !gs[2].Suppressed {
		t.Fatalf("groups %+v", gs)
	}
	var c casestore.Case
	gs[0].Apply(&c)
	gs[0].Apply(&c) // idempotent
	if c.Title != "DSA-5800-1: openssl: buffer overflow in X.509 name checks" || !c.Exploited || len(c.Components) != 2 ||
		len(c.Fixes) != 2 || c.Fixes[0].Fixed[0] != "3.0.15-1~deb12u1" || strings.Join(c.Aliases, ",") != "DSA-5800-1,CVE-2026-1111" ||
		c.CVSS3 == "" {
		t.Errorf("case %+v", c)
	}
	for _, bad := range []string{``, `[]`, `{"kind":"sbom"}`, `{"kind":"vuln_report","schema_version":"2.0"}`,
		`{"kind":"vuln_report","schema_version":"1.0","findings":[{"id":""}]}`,
		`{"kind":"vuln_report","schema_version":"1.0","findings":[{"id":"X","cvss":{"vector":"CVSS:3.1/AV:Q"}}]}`,
		`{"kind":"vuln_report","schema_version":"1.0","findings":{}}`} {
		if _, err := ParseReport(strings.NewReader(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// FuzzParseReport: any input is refused or imported without a panic.
func FuzzParseReport(f *testing.F) {
	b, _ := os.ReadFile("testdata/vulns.json")
	f.Add(b)
	f.Add([]byte(`{"kind":"vuln_report","schema_version":"1.0","findings":[{"id":"A","package":{"purl":"pkg:x/y@1"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		gs, err := ParseReport(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, g := range gs {
			var c casestore.Case
			g.Apply(&c)
			if c.Title == "" {
				t.Fatalf("no title from %+v", g)
			}
		}
	})
}
