package version

import (
	"testing"
)

// ascending checks that each version is strictly older than the next,
// and every pair compares consistently.
func ascending(t *testing.T, name string, c Comparator, vs []string) {
	t.Helper()
	for i := range vs {
		for j := range vs {
			got, err := c(vs[i], vs[j])
			if err != nil {
				t.Fatalf("%s: %s vs %s: %v", name, vs[i], vs[j], err)
			}
			want := cmpInt(i, j)
			if sign(got) != want {
				t.Errorf("%s: compare(%q, %q) = %d, want %d", name, vs[i], vs[j], got, want)
			}
		}
	}
}

func sign(c int) int { return cmpInt(c, 0) }

func equal(t *testing.T, name string, c Comparator, pairs [][2]string) {
	t.Helper()
	for _, p := range pairs {
		if got, err := c(p[0], p[1]); err != nil || got != 0 {
			t.Errorf("%s: compare(%q, %q) = %d, %v; want equal", name, p[0], p[1], got, err)
		}
	}
}

func invalid(t *testing.T, name string, c Comparator, vs []string) {
	t.Helper()
	for _, v := range vs {
		if _, err := c(v, v); err == nil {
			t.Errorf("%s: %q accepted", name, v)
		}
	}
}

// The orders below are the examples of each specification.
func TestSemVer(t *testing.T) {
	// semver.org, item 11.
	ascending(t, "semver", SemVer, []string{"0.0.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1"})
	equal(t, "semver", SemVer, [][2]string{{"1.0.0+20130313144700", "1.0.0"}, {"v1.2.3", "=1.2.3"}})
	invalid(t, "semver", SemVer, []string{"1.2.3.4", "01.2.3", "x", "1.2.3-"})
}

func TestGo(t *testing.T) {
	// Go modules reference: pseudo-versions are pre-releases of the
	// next patch; OSV writes versions without v.
	ascending(t, "go", Go, []string{"0.0.0-20191109021931-daa7c04131f5", "0.0.0-20220906165146-f3363e06e74c",
		"0.3.7", "v0.3.8", "1.2.3", "1.2.4-0.20191109021931-daa7c04131f5", "1.2.4", "go1.21rc2", "1.21.0", "go1.21.1", "go1.22"})
	equal(t, "go", Go, [][2]string{{"go1.22", "1.22.0"}, {"v1.7.0", "1.7.0"}, {"1.7.0+incompatible", "1.7.0"}})
	invalid(t, "go", Go, []string{"(devel)", "abc"})
	if got := GoCanonical("go1.21rc2"); got != "1.21.0-rc.2" {
		t.Errorf("GoCanonical = %q", got)
	}
}

func TestDpkg(t *testing.T) {
	// deb-version(7): "~~" < "~~a" < "~" < "" < "a"; epochs first.
	ascending(t, "dpkg", Dpkg, []string{"1.0~~", "1.0~~a", "1.0~", "1.0", "1.0-1", "1.0-1.1", "1.0-2~bpo1", "1.0-2", "1.0a", "1.0+b1",
		"1.2", "1.10", "2.30-21+deb12u1", "2.30-21+deb12u2", "1:0.1", "1:1.0", "2:0"})
	equal(t, "dpkg", Dpkg, [][2]string{{"0:1.0", "1.0"}, {"1.0-0", "1.0-"}, {"1.001", "1.1"}})
	invalid(t, "dpkg", Dpkg, []string{"a1.0", ":1", "x:1.0"})
}

func TestRPM(t *testing.T) {
	// rpm's rpmvercmp test suite examples and the tilde/caret rules.
	ascending(t, "rpm", RPM, []string{"1.0~rc1", "1.0", "1.0^", "1.0^git1", "1.0a", "1.0.1", "1.1", "1.10", "2.0.1", "2.0.1a", "5.5p10", "1:0.1"})
	equal(t, "rpm", RPM, [][2]string{{"1.0", "1.0"}, {"1.0-1", "1.0"}, {"0:1.0-1", "1.0-1"}, {"1_0", "1.0"}, {"1.0010", "1.10"}})
	for _, c := range [][2]string{{"1.0-1", "1.0-2"}, {"1.0-1.el9", "1.0-1.el9_2"}, {"2.0.1a", "2.0.1"}, {"b", "a"}} {
		got, _ := RPM(c[0], c[1])
		if want := map[string]int{"1.0-1": -1, "2.0.1a": 1, "b": 1}[c[0]]; c[0] == "1.0-1.el9" {
			if got >= 0 {
				t.Errorf("rpm %v = %d", c, got)
			}
		} else if sign(got) != want {
			t.Errorf("rpm %v = %d, want %d", c, got, want)
		}
	}
}

func TestAPK(t *testing.T) {
	// apk-tools' version ordering: pre-release suffixes, the release,
	// post-release suffixes, revisions.
	ascending(t, "apk", APK, []string{"1.0_alpha", "1.0_alpha2", "1.0_beta", "1.0_pre1", "1.0_rc1", "1.0", "1.0-r1", "1.0-r2", "1.0_p1", "1.0a", "1.0.1", "1.01.0", "1.1", "1.2_git20240101", "1.10"})
	invalid(t, "apk", APK, []string{"", "a1", "1.0_foo", "1.0-rx", "1.0 junk"})
}

func TestPEP440(t *testing.T) {
	// PEP 440, "Summary of permitted suffixes and relative ordering".
	ascending(t, "pep440", PEP440, []string{"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456",
		"1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34",
		"1.0.post456", "1.0.15", "1.1.dev1", "1!0.1"})
	equal(t, "pep440", PEP440, [][2]string{{"1.0", "1.0.0"}, {"1.0-1", "1.0.post1"}, {"1.0alpha1", "1.0a1"}, {"v1.0c1", "1.0rc1"}, {"1.0-r4", "1.0.post4"}, {"1.0.DEV", "1.0.dev0"}})
	invalid(t, "pep440", PEP440, []string{"foo", "1.0++", "1.0.0a-b"})
}

func TestMaven(t *testing.T) {
	// Maven's ComparableVersion documentation and tests.
	ascending(t, "maven", Maven, []string{"1-alpha", "1-alpha2", "1-beta", "1-milestone", "1-rc", "1-snapshot", "1", "1-sp", "1-abc", "1.1", "1.2", "1.10", "2.0"})
	equal(t, "maven", Maven, [][2]string{{"1", "1.0.0"}, {"1.0-ga", "1"}, {"1-final", "1.0"}, {"1a1", "1-alpha-1"}, {"1-cr1", "1-rc1"}})
}

func TestFor(t *testing.T) {
	for eco, want := range map[string]bool{"Go": true, "Debian:12": true, "Alpine:v3.18": true, "crates.io": true, "Maven": true, "Red Hat:9": true, "Bogus": false} {
		if _, err := For(eco); (err == nil) != want {
			t.Errorf("For(%q) = %v", eco, err)
		}
	}
}

func TestGem(t *testing.T) {
	// Gem::Version documentation: pre-releases (any letter) sort before
	// the release; "-" starts a pre-release.
	ascending(t, "gem", Gem, []string{"1.0.a", "1.0.a.2", "1.0.b1", "1.0.pre", "1.0.rc1", "1.0", "1.0.1-x", "1.0.1", "1.0.2", "1.1", "1.10", "2"})
	equal(t, "gem", Gem, [][2]string{{"1.0", "1"}, {"1.0.0", "1.0"}, {"1.0.0a1", "1.0.0.a.1"}})
	invalid(t, "gem", Gem, []string{"", "a", "1..2", "1.0 x"})
}
