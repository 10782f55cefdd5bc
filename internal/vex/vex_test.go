package vex

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

const openVEXDoc = `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2026-12-01T00:00:00Z","version":1,
"statements":[{"vulnerability":{"name":"CVE-2023-1","aliases":["GHSA-x"]},"products":[{"@id":"pkg:oci/app","subcomponents":[{"@id":"pkg:golang/example.com/m@v1.0.0"}]}],
"status":"not_affected","justification":"vulnerable_code_not_present"},
{"vulnerability":"CVE-2023-2","products":["pkg:deb/debian/openssl"],"status":"fixed"}]}`

const cdxVEXDoc = `{"bomFormat":"CycloneDX","specVersion":"1.6","vulnerabilities":[{"id":"CVE-2023-3","references":[{"id":"GHSA-y"}],
"analysis":{"state":"false_positive","justification":"code_not_reachable","detail":"never called"},"affects":[{"ref":"urn:cdx:3e67/1#pkg:npm/lodash@4.17.20"}]},
{"id":"CVE-2023-4"}]}`

func TestRead(t *testing.T) {
	s, err := Read(strings.NewReader(openVEXDoc), "a.json")
	if err != nil || len(s) != 2 {
		t.Fatalf("%+v %v", s, err)
	}
	if s[0].Vulnerability != "CVE-2023-1" || !slices.Equal(s[0].Products, []string{"pkg:golang/example.com/m@v1.0.0"}) || !s[0].Suppresses() || s[0].Source != "a.json" {
		t.Errorf("%+v", s[0])
	}
	if s[1].Vulnerability != "CVE-2023-2" || s[1].Status != Fixed || !slices.Equal(s[1].Products, []string{"pkg:deb/debian/openssl"}) {
		t.Errorf("%+v", s[1])
	}
	c, err := Read(strings.NewReader(cdxVEXDoc), "b.json")
	if err != nil || len(c) != 1 || c[0].Status != NotAffected || c[0].Products[0] != "pkg:npm/lodash@4.17.20" || c[0].Impact != "never called" || c[0].Aliases[0] != "GHSA-y" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{`{}`, `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"x"},"status":"maybe"}]}`,
		`{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"x","analysis":{"state":"perhaps"}}]}`} {
		if _, err := Read(strings.NewReader(bad), "bad"); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(openVEXDoc))
	f.Add([]byte(cdxVEXDoc))
	f.Fuzz(func(t *testing.T, data []byte) { Read(bytes.NewReader(data), "fuzz") })
}
