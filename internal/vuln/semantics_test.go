package vuln

import (
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/vuln/osv"
)

// Severity sources in the order rate reads them: vectors, then the
// databases' words (GitHub's database_specific, Ubuntu's priority), else
// unknown (the Go database).
func TestRateSources(t *testing.T) {
	for js, want := range map[string]string{
		`{"id":"GO-2024-1"}`: SeverityUnknown,
		`{"id":"GHSA-x","database_specific":{"severity":"MODERATE"}}`:                                                                                                                    SeverityMedium,
		`{"id":"GHSA-y","database_specific":{"severity":"LOW"},"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}`:                                  SeverityCritical,
		`{"id":"UBUNTU-CVE-1","severity":[{"type":"Ubuntu","score":"medium"}]}`:                                                                                                          SeverityMedium,
		`{"id":"UBUNTU-CVE-2","severity":[{"type":"Ubuntu","score":"negligible"}]}`:                                                                                                      SeverityLow,
		`{"id":"X-1","severity":[{"type":"CVSS_V2","score":"AV:N/AC:L/Au:N/C:C/I:C/A:C"}]}`:                                                                                              SeverityUnknown,
		`{"id":"X-2","affected":[{"package":{"ecosystem":"npm","name":"a"},"severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"}]}]}`: SeverityMedium,
	} {
		if got, _ := rate(rec(t, js)); got != want {
			t.Errorf("rate(%s) = %s, want %s", js, got, want)
		}
	}
}

// A record whose entry for the package has only commit ranges cannot be
// evaluated against a version: the component is reported as a gap, and a
// record that lists versions beside its GIT range is evaluated on them.
func TestMatchGitOnly(t *testing.T) {
	src := memSource{recs: []*osv.Record{
		rec(t, `{"id":"OSV-2024-1","affected":[{"package":{"ecosystem":"PyPI","name":"lib"},"ranges":[{"type":"GIT","repo":"https://example.org/lib","events":[{"introduced":"0"},{"fixed":"abc123"}]}]}]}`),
		rec(t, `{"id":"OSV-2024-2","affected":[{"package":{"ecosystem":"PyPI","name":"lib"},"versions":["1.0"],"ranges":[{"type":"GIT","repo":"https://example.org/lib","events":[{"introduced":"0"}]}]}]}`),
	}}
	c, _ := FromPURL("pkg:pypi/lib@1.0")
	fs, gaps, err := Match(src, []Component{c})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].ID != "OSV-2024-2" {
		t.Errorf("findings %+v", fs)
	}
	if len(gaps) != 1 || !strings.Contains(gaps[0].Reason, "OSV-2024-1: only GIT") {
		t.Errorf("gaps %+v", gaps)
	}
}

// Withdrawn records are the database's business (db.Lookup leaves them
// out); this checks the record keeps the field matching relies on.
func TestWithdrawnParsed(t *testing.T) {
	if r := rec(t, `{"id":"GHSA-w","withdrawn":"2024-01-01T00:00:00Z"}`); r.Withdrawn == "" {
		t.Error("withdrawn lost")
	}
}

// Distribution advisories name source packages, under each release's
// ecosystem: Ubuntu's "Ubuntu:22.04:LTS", Alpine's origin under
// "Alpine:v3.18", Rocky's source RPM.
func TestMatchDistroSources(t *testing.T) {
	src := memSource{recs: []*osv.Record{
		rec(t, `{"id":"UBUNTU-CVE-2024-1","severity":[{"type":"Ubuntu","score":"high"}],"affected":[{"package":{"ecosystem":"Ubuntu:22.04:LTS","name":"openssl"},
			"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.2-0ubuntu1.15"}]}]}]}`),
		rec(t, `{"id":"ALPINE-CVE-2024-2","affected":[{"package":{"ecosystem":"Alpine:v3.18","name":"openssl"},
			"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.1.4-r1"}]}]}]}`),
		rec(t, `{"id":"RLSA-2024:1","affected":[{"package":{"ecosystem":"Rocky Linux:9","name":"openssl"},
			"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-25.el9_3"}]}]}]}`),
	}}
	var comps []Component
	for purl, source := range map[string]string{
		"pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.10?arch=amd64&distro=ubuntu-22.04":    "openssl",
		"pkg:apk/alpine/libcrypto3@3.1.4-r0?arch=x86_64&distro=alpine-3.18.4":        "openssl",
		"pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&distro=rocky-9": "openssl-3.0.7-24.el9.src.rpm",
	} {
		c, ok := FromPURL(purl)
		if !ok {
			t.Fatalf("FromPURL(%s)", purl)
		}
		c.SetSource(source)
		comps = append(comps, c)
	}
	fs, gaps, err := Match(src, comps)
	if err != nil || len(gaps) != 0 {
		t.Fatalf("%v %+v", err, gaps)
	}
	got := map[string]string{}
	for _, f := range fs {
		got[f.ID] = f.Package.Name + " " + f.Severity
	}
	want := map[string]string{"UBUNTU-CVE-2024-1": "libssl3 high", "ALPINE-CVE-2024-2": "libcrypto3 unknown", "RLSA-2024:1": "openssl-libs unknown"}
	if len(got) != len(want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %q, want %q", id, got[id], w)
		}
	}
}
