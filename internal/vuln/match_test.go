package vuln

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/vex"
	"github.com/cradle-cra/cradle/internal/vuln/feed"
	"github.com/cradle-cra/cradle/internal/vuln/osv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// memSource is an in-memory database.
type memSource struct {
	recs []*osv.Record
	kev  map[string]*feed.KEV
}

func (m memSource) Lookup(eco, name string) ([]*osv.Record, error) {
	var out []*osv.Record
	for _, r := range m.recs {
		for _, a := range r.Affected {
			if osv.IndexKey(a.Package.Ecosystem, a.Package.Name) == osv.IndexKey(eco, name) {
				out = append(out, r)
				break
			}
		}
	}
	return out, nil
}
func (m memSource) KEV(cve string) (*feed.KEV, error) { return m.kev[cve], nil }
func (m memSource) EPSS(cve string) (*feed.EPSS, error) {
	if cve == "CVE-2024-0002" {
		return &feed.EPSS{CVE: cve, Score: 0.97, Percentile: 0.999}, nil
	}
	return nil, nil
}

func rec(t *testing.T, js string) *osv.Record {
	t.Helper()
	r, err := osv.Parse([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func fixture(t *testing.T) (memSource, []Component) {
	src := memSource{kev: map[string]*feed.KEV{"CVE-2024-0002": {CVE: "CVE-2024-0002", DateAdded: "2024-05-01"}}}
	src.recs = []*osv.Record{
		// A Go record and the GHSA that aliases it: one finding.
		rec(t, `{"id":"GO-2024-0001","aliases":["CVE-2024-0001"],"summary":"Go record","affected":[{"package":{"ecosystem":"Go","name":"example.com/mod"},
			"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"},{"introduced":"1.3.0"},{"fixed":"1.3.4"}]}]}]}`),
		rec(t, `{"id":"GHSA-aaaa-bbbb-cccc","aliases":["CVE-2024-0001"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"}],
			"affected":[{"package":{"ecosystem":"Go","name":"example.com/mod"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"fixed":"1.2.0"}]}]}]}`),
		// Limited to windows: not for a linux binary.
		rec(t, `{"id":"GO-2024-0003","affected":[{"package":{"ecosystem":"Go","name":"example.com/mod"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}],
			"ecosystem_specific":{"imports":[{"path":"example.com/mod/win","goos":["windows"]}]}}]}`),
		rec(t, `{"id":"GO-2024-0004","affected":[{"package":{"ecosystem":"Go","name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.22.0-0"},{"fixed":"1.22.5"}]}]}]}`),
		// Debian 12 with epoch; a Debian 11 record that must not apply.
		rec(t, `{"id":"DSA-0002-1","aliases":["CVE-2024-0002"],"severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}],
			"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.11-1~deb12u2"}]}]}]}`),
		rec(t, `{"id":"DSA-0003-1","affected":[{"package":{"ecosystem":"Debian:11","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"9:9"}]}]}]}`),
		// PyPI: name normalisation, last_affected, a textual severity; VEX'd.
		rec(t, `{"id":"PYSEC-2024-5","aliases":["CVE-2024-0005"],"database_specific":{"severity":"MODERATE"},
			"affected":[{"package":{"ecosystem":"PyPI","name":"Foo_Bar"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.0"},{"last_affected":"1.4.post1"}]}]}]}`),
	}
	comps := []Component{
		{Name: "example.com/mod", Version: "1.1.0", Ecosystem: "Go", PURL: "pkg:golang/example.com/mod@v1.1.0", GOOS: "linux", GOARCH: "amd64"},
		{Name: "stdlib", Version: "1.22.1", Ecosystem: "Go", PURL: "pkg:golang/stdlib@v1.22.1", GOOS: "linux", GOARCH: "amd64"},
	}
	for _, p := range []string{"pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64&epoch=1&distro=debian-12", "pkg:pypi/foo-bar@1.4", "pkg:nuget/Newtonsoft.Json@12.0.1", "pkg:generic/thing@1"} {
		c, ok := FromPURL(p)
		if ok || p == "pkg:nuget/Newtonsoft.Json@12.0.1" {
			comps = append(comps, c)
		}
	}
	return src, comps
}

func report(t *testing.T, failOn string) *Report {
	src, comps := fixture(t)
	fs, gaps, err := Match(src, comps)
	if err != nil {
		t.Fatal(err)
	}
	ApplyVEX(fs, []vex.Statement{{Vulnerability: "CVE-2024-0005", Products: []string{"pkg:pypi/foo-bar"}, Status: vex.NotAffected,
		Justification: "vulnerable_code_not_in_execute_path", Source: "product.openvex.json"}})
	when := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	r := &Report{SchemaVersion: ReportSchemaVersion, Kind: ReportKind, Target: "app.cdx.json", Time: when, Components: len(comps),
		Findings: fs, Gaps: gaps, Gate: Gate{FailOn: failOn, UnknownAs: DefaultUnknownAs},
		Database: Database{Path: "osv.db", Schema: "1", Updated: when.Add(-26 * time.Hour), AgeSeconds: 26 * 3600, Vulns: 7, KEV: 1, EPSS: 1, Sources: []string{"osv-dir data/osv"}}}
	r.Decide()
	return r
}

func TestMatch(t *testing.T) {
	r := report(t, "high")
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.ID+" "+f.Package.Name+" "+f.Severity+" "+slices.Concat(f.FixedVersions, []string{""})[0])
	}
	want := []string{"GO-2024-0001 example.com/mod critical 1.2.0", "PYSEC-2024-5 foo-bar medium ", "DSA-0002-1 openssl critical 1:3.0.11-1~deb12u2", "GO-2024-0004 stdlib unknown 1.22.5"}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("findings\n got %q\nwant %q", got, want)
	}
	f := r.Findings[slices.IndexFunc(r.Findings, func(f Finding) bool { return f.ID == "GO-2024-0001" })]
	if !slices.Equal(f.Aliases, []string{"CVE-2024-0001", "GHSA-aaaa-bbbb-cccc"}) {
		t.Errorf("aliases %v", f.Aliases)
	}
	if len(r.Gaps) != 1 || r.Gaps[0].Package.Name != "Newtonsoft.Json" {
		t.Errorf("gaps %+v", r.Gaps)
	}
	if !r.Gate.Failed || r.Summary.Suppressed != 1 || r.Summary.Exploited != 1 {
		t.Errorf("gate %+v summary %+v", r.Gate, r.Summary)
	}
}

func TestGate(t *testing.T) {
	// Unsuppressed: GO-2024-0001 critical, DSA-0002-1 critical and
	// exploited, GO-2024-0004 without severity (counted as high).
	for failOn, want := range map[string]int{"": 0, "critical": 2, "high": 3, "known-exploited": 1, "unknown": 3} {
		r := report(t, failOn)
		if len(r.Gate.Failing) != want || r.Gate.Failed != (want > 0) {
			t.Errorf("--fail-on %q: failing %v", failOn, r.Gate.Failing)
		}
		if r.Gate.Unrated != 1 || r.Gate.UnratedFailing != map[bool]int{true: 1}[failOn == "high" || failOn == "unknown"] {
			t.Errorf("--fail-on %q: unrated %d failing %d", failOn, r.Gate.Unrated, r.Gate.UnratedFailing)
		}
	}
	for failOn, want := range map[string]string{"critical": "1 finding(s) without severity counted as high (--unknown-as), below the threshold",
		"high": "FAILED by 3 finding(s); 1 of them without severity, counted as high (--unknown-as)", "": "No gate"} {
		if got := report(t, failOn).Gate.Explain(); !strings.Contains(got, want) {
			t.Errorf("--fail-on %q: %q lacks %q", failOn, got, want)
		}
	}
	r := report(t, "critical")
	r.Gate.UnknownAs = SeverityCritical
	r.Decide()
	if !slices.Contains(r.Gate.Failing, "GO-2024-0004") {
		t.Errorf("--unknown-as critical does not fail --fail-on critical: %v", r.Gate.Failing)
	}
	r = report(t, "medium")
	r.Gate.UnknownAs = SeverityUnknown
	r.Decide()
	if slices.Contains(r.Gate.Failing, "GO-2024-0004") {
		t.Errorf("--unknown-as unknown still fails on an unknown severity: %v", r.Gate.Failing)
	}
	if CheckGate("severe", "critical") == nil || CheckGate("high", "nope") == nil || CheckGate(FailOnExploited, "low") != nil {
		t.Error("CheckGate")
	}
}

func TestRenderGolden(t *testing.T) {
	r := report(t, "high")
	for _, format := range Formats {
		var buf bytes.Buffer
		var err error
		switch format {
		case "table":
			err = r.Table(&buf)
		case "json":
			err = r.JSON(&buf)
		case "sarif":
			err = r.SARIF(&buf, "1.2.3")
		case "openvex":
			err = r.OpenVEX(&buf, "1.2.3")
		case "cyclonedx":
			err = r.CycloneDX(&buf, "1.2.3")
		}
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "report."+format+".golden")
		if *update {
			if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s differs from %s (go test -update):\n%s", format, golden, buf.Bytes())
		}
	}
}

// Debian advisories name the source package: a binary package built from
// it (a binNMU too) is matched under the source's name and version.
func TestMatchSourcePackage(t *testing.T) {
	src := memSource{recs: []*osv.Record{rec(t, `{"id":"DSA-5000-1","affected":[{"package":{"ecosystem":"Debian:12","name":"glibc"},
		"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.36-9+deb12u4"}]}]}]}`)}}
	c, ok := FromPURL("pkg:deb/debian/libc6@2.36-9%2Bdeb12u3%2Bb1?arch=amd64&distro=debian-12&upstream=glibc%20%282.36-9%2Bdeb12u3%29")
	if !ok || c.Source != "glibc" || c.SourceVersion != "2.36-9+deb12u3" || c.Ecosystem != "Debian:12" {
		t.Fatalf("%+v", c)
	}
	fs, _, err := Match(src, []Component{c})
	if err != nil || len(fs) != 1 || fs[0].Package.Name != "libc6" || fs[0].FixedVersions[0] != "2.36-9+deb12u4" {
		t.Fatalf("%+v %v", fs, err)
	}
}

func TestPURLEcosystems(t *testing.T) {
	for purl, want := range map[string]Component{
		"pkg:apk/alpine/busybox@1.36.1-r5?arch=x86_64&distro=alpine-3.18.4": {Name: "busybox", Version: "1.36.1-r5", Ecosystem: "Alpine:v3.18"},
		"pkg:deb/ubuntu/bash@5.1-6ubuntu1?distro=ubuntu-22.04":              {Name: "bash", Version: "5.1-6ubuntu1", Ecosystem: "Ubuntu:22.04"},
		"pkg:rpm/redhat/openssl@3.0.7-1.el9?epoch=1&distro=redhat-9.2":      {Name: "openssl", Version: "1:3.0.7-1.el9", Ecosystem: "Red Hat:9.2"},
		"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1":              {Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Ecosystem: "Maven"},
		"pkg:npm/%40babel/core@7.0.0":                                       {Name: "@babel/core", Version: "7.0.0", Ecosystem: "npm"},
		"pkg:golang/github.com/gin-gonic/gin@v1.7.0":                        {Name: "github.com/gin-gonic/gin", Version: "1.7.0", Ecosystem: "Go"},
		"pkg:golang/stdlib@go1.21rc2":                                       {Name: "stdlib", Version: "1.21.0-rc.2", Ecosystem: "Go"},
		// Go module paths keep their case: the Go database spells them so.
		"pkg:golang/github.com/BurntSushi/toml@v1.2.0":                         {Name: "github.com/BurntSushi/toml", Version: "1.2.0", Ecosystem: "Go"},
		"pkg:golang/github.com/Azure/go-autorest%2Fautorest@v0.9.0?goos=linux": {Name: "github.com/Azure/go-autorest/autorest", Version: "0.9.0", Ecosystem: "Go"},
		"pkg:pypi/Zope_Interface@5.0":                                          {Name: "zope-interface", Version: "5.0", Ecosystem: "PyPI"},
	} {
		c, ok := FromPURL(purl)
		if !ok || c.Name != want.Name || c.Version != want.Version || c.Ecosystem != want.Ecosystem {
			t.Errorf("FromPURL(%s) = %+v", purl, c)
		}
	}
	for rec, comp := range map[string]string{"Ubuntu:22.04:LTS": "Ubuntu:22.04", "Alpine:v3.18": "Alpine:v3.18", "Debian": "Debian:12", "Red Hat:enterprise_linux:9::appstream": "Red Hat:9.2"} {
		if !sameRelease(rec, comp) {
			t.Errorf("sameRelease(%s, %s) = false", rec, comp)
		}
	}
	if sameRelease("Debian:11", "Debian:12") || sameRelease("Alpine:v3.17", "Alpine:v3.18") {
		t.Error("another release matched")
	}
	if PURLKey("pkg:deb/debian/openssl@3.0.11-1?epoch=1&arch=amd64") != PURLKey("pkg:deb/debian/openssl@1%3A3.0.11-1") {
		t.Error("PURLKey: epoch qualifier and percent-encoded epoch differ")
	}
}
