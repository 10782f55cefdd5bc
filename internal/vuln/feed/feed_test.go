package feed

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

const kevSample = `{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.12.01","dateReleased":"2026-12-01T15:00:00.000Z","count":1,
"vulnerabilities":[{"cveID":"CVE-2021-44228","vendorProject":"Apache","product":"Log4j2","dateAdded":"2021-12-10","dueDate":"2021-12-24","knownRansomwareCampaignUse":"Known","notes":"","cwes":["CWE-917"]}]}`

const epssSample = "#model_version:v2025.03.14,score_date:2026-12-01T12:55:00Z\ncve,epss,percentile\nCVE-2021-44228,0.94358,0.99957\nCVE-1999-0001,0.01,0.5\n"

func TestKEV(t *testing.T) {
	c, err := ReadKEV(strings.NewReader(kevSample))
	if err != nil || c.CatalogVersion != "2026.12.01" || len(c.Vulnerabilities) != 1 || c.Vulnerabilities[0].Ransomware != "Known" {
		t.Fatalf("%+v %v", c, err)
	}
	if !IsKEV([]byte(kevSample)) || IsKEV([]byte(`{"id":"GO-1"}`)) {
		t.Error("IsKEV")
	}
	for _, bad := range []string{`{}`, `{"vulnerabilities":[{"cveID":"nope"}]}`, `[`} {
		if _, err := ReadKEV(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestEPSS(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(epssSample))
	zw.Close()
	for _, in := range []string{epssSample, gz.String()} {
		f, err := ReadEPSS(strings.NewReader(in))
		if err != nil || f.Date != "2026-12-01T12:55:00Z" || len(f.Scores) != 2 || f.Scores[0].Score != 0.94358 {
			t.Fatalf("%+v %v", f, err)
		}
	}
	for _, bad := range []string{"cve,score\n", "cve,epss,percentile\nCVE-1,2,3\n", "cve,epss,percentile\nCVE-2020-1234,1.5,0.1\n"} {
		if _, err := ReadEPSS(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzKEV(f *testing.F) {
	f.Add([]byte(kevSample))
	f.Fuzz(func(t *testing.T, data []byte) { ReadKEV(bytes.NewReader(data)) })
}

func FuzzEPSS(f *testing.F) {
	f.Add([]byte(epssSample))
	f.Fuzz(func(t *testing.T, data []byte) { ReadEPSS(bytes.NewReader(data)) })
}
