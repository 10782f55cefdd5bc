package version

import "testing"

// More orders taken from each ecosystem's own specification or reference
// test data (what the tools themselves are tested against).

func TestGoPseudoVersionForms(t *testing.T) {
	// Go modules reference, "Pseudo-versions": the three forms sort
	// before the version they derive from and after their base.
	ascending(t, "go", Go, []string{
		"0.0.0-20191109021931-daa7c04131f5", // vX.0.0-yyyymmddhhmmss-abcdefabcdef: no base
		"1.2.3-pre",
		"1.2.3-pre.0.20191109021931-daa7c04131f5", // vX.Y.Z-pre.0.yyyymmddhhmmss-abcdefabcdef
		"1.2.3-pre.1",
		"1.2.3",
		"1.2.4-0.20191109021931-daa7c04131f5", // vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdefabcdef
		"1.2.4-0.20200101000000-0123456789ab",
		"1.2.4",
		"2.0.0+incompatible",
	})
	// Go release versions (go/version): go1.21 is go1.21.0, release
	// candidates before it.
	ascending(t, "go", Go, []string{"go1.20", "go1.21rc1", "go1.21rc2", "go1.21.0", "go1.21.1", "go1.22rc1", "go1.22.0"})
}

func TestNpmSemver(t *testing.T) {
	// node-semver's comparison fixtures: numeric identifiers compare
	// numerically and before alphanumeric ones, alphanumeric ones in
	// ASCII order, a longer set of fields after its prefix; node-semver
	// accepts a leading "v" and "=".
	for _, p := range [][2]string{
		{"0.0.0", "0.0.0-foo"}, {"0.0.1", "0.0.0"}, {"1.0.0", "0.9.9"}, {"0.10.0", "0.9.0"}, {"0.99.0", "0.10.0"}, {"2.0.0", "1.2.3"},
		{"v0.0.0", "0.0.0-foo"}, {"=0.0.1", "0.0.0"}, {"1.2.3", "1.2.3-asdf"}, {"1.2.3", "1.2.3-4"}, {"1.2.3", "1.2.3-4-foo"},
		{"1.2.3-5-foo", "1.2.3-5"}, {"1.2.3-5", "1.2.3-4"}, {"1.2.3-5-foo", "1.2.3-5-Foo"}, {"3.0.0", "2.7.2+asdf"},
		{"1.2.3-a.10", "1.2.3-a.5"}, {"1.2.3-a.b", "1.2.3-a.5"}, {"1.2.3-a.b", "1.2.3-a"}, {"1.2.3-a.b.c.10.d.5", "1.2.3-a.b.c.5.d.100"},
		{"1.2.3-r2", "1.2.3-r100"}, {"1.2.3-r100", "1.2.3-R2"},
	} {
		if got, err := SemVer(p[0], p[1]); err != nil || got <= 0 {
			t.Errorf("npm: %s > %s: got %d %v", p[0], p[1], got, err)
		}
	}
}

func TestCargoSemver(t *testing.T) {
	// The Cargo book ("Specifying dependencies", SemVer) and the semver
	// crate: SemVer 2.0 precedence; pre-releases before the release.
	ascending(t, "cargo", SemVer, []string{"0.1.0", "0.1.1", "0.2.0-alpha.1", "0.2.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0", "1.0.1", "1.1.0"})
}

func TestDpkgPolicy(t *testing.T) {
	// Debian Policy 5.6.12 and deb-version(7): tilde before anything,
	// letters before non-letters, epoch first, revision last.
	ascending(t, "dpkg", Dpkg, []string{"1.0~rc1", "1.0~rc1+b1", "1.0", "1.0-0.1", "1.0-1~bpo12+1", "1.0-1", "1.0-1+deb12u1", "1.0+dfsg", "1.0+dfsg-1", "1.0.1", "2.0~~", "2.0~", "2.0", "1:0.9"})
	equal(t, "dpkg", Dpkg, [][2]string{{"1:1.0-1", "01:1.0-1"}, {"1.0", "1.0-"}})
}

func TestRPMVercmp(t *testing.T) {
	// rpm's tests/rpmvercmp.at: tilde sorts before everything, caret
	// after the end but before any other continuation.
	for _, p := range [][2]string{
		{"1.0~rc1", "1.0"}, {"1.0~rc1", "1.0~rc2"}, {"1.0~rc1~git123", "1.0~rc1"}, {"1.0", "1.0^"}, {"1.0^git1", "1.0^git2"},
		{"1.0^git1", "1.01"}, {"1.0^20160101", "1.0.1"}, {"1.0^20160101", "1.0^20160101^git1"}, {"1.0~rc1", "1.0~rc1^git1"},
		{"1.0~rc1^git1", "1.0"}, {"1.0^git1~pre", "1.0^git1"}, {"1.0", "1.0a"}, {"2.0a", "2.0.1"}, {"1.0a", "1.0b"}, {"xyz.4", "8"},
		{"5.5p1", "5.5p2"}, {"5.5p1", "5.5p10"}, {"10xyz", "10.1xyz"}, {"xyz10", "xyz10.1"}, {"4.999.9", "5.0"}, {"20101121", "20101122"},
	} {
		if got, err := RPM(p[0], p[1]); err != nil || got >= 0 {
			t.Errorf("rpm: %s < %s: got %d %v", p[0], p[1], got, err)
		}
	}
	equal(t, "rpm", RPM, [][2]string{{"1.0^", "1.0^"}, {"1.0~rc1", "1.0~rc1"}, {"1.0^git1", "1.0^git1"}, {"a+", "a_"}, {"+a", "_a"}})
}

func TestMavenComparableVersion(t *testing.T) {
	// Maven's ComparableVersionTest: the qualifier order and the
	// number/qualifier mix.
	ascending(t, "maven", Maven, []string{"1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11", "1-rc", "1-cr2",
		"1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc", "1-def", "1-pom-1", "1-1-snapshot", "1-1", "1-2", "1-123"})
	ascending(t, "maven", Maven, []string{"2.0", "2.0.a", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1.0.1", "2.2", "2.123",
		"11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b", "11c", "11m"})
	equal(t, "maven", Maven, [][2]string{{"1", "1.0"}, {"1", "1.0.0"}, {"1.0", "1.0.0"}, {"1a1", "1-alpha-1"}, {"1b2", "1-beta-2"},
		{"1m3", "1-milestone-3"}, {"1-rc", "1-cr"}, {"1-ga", "1"}, {"1-final", "1"}, {"1-release", "1"}, {"1a1", "1-a1"}, {"1X", "1x"}})
	// "a", "b" and "m" are alpha, beta and milestone only when a number
	// follows; alone they are unknown qualifiers, after the release.
	ascending(t, "maven", Maven, []string{"1-alpha", "1", "1-a"})
}

func TestPEP440Normalisation(t *testing.T) {
	// PEP 440 "Normalization": spellings that name the same version.
	equal(t, "pep440", PEP440, [][2]string{{"1.0a", "1.0a0"}, {"1.0.a1", "1.0a1"}, {"1.0-a1", "1.0a1"}, {"1.0_a1", "1.0a1"}, {"1.0beta2", "1.0b2"},
		{"1.0pre3", "1.0rc3"}, {"1.0preview3", "1.0rc3"}, {"1.0-post2", "1.0.post2"}, {"1.0rev2", "1.0.post2"}, {"1.0dev", "1.0.dev0"},
		{"1.0+ubuntu-1", "1.0+ubuntu.1"}, {"V1.0", "1.0"}, {" 1.0 ", "1.0"}, {"1.01", "1.1"}, {"0!1.0", "1.0"}})
	ascending(t, "pep440", PEP440, []string{"0.9", "1.0.dev1", "1.0a1", "1.0", "1.0+local", "1.0.post1.dev1", "1.0.post1", "1.1", "2!0.1"})
}

func TestAPKVersionTests(t *testing.T) {
	// apk-tools' test/version.data: suffix order, letters, revisions.
	for _, p := range [][2]string{
		{"2.34", "2.34.1"}, {"1.0_alpha1", "1.0_beta1"}, {"1.0_beta1", "1.0"}, {"1.0", "1.0_p1"}, {"1.0_rc1", "1.0"},
		{"1.0-r1", "1.0-r10"}, {"1.0a", "1.0b"}, {"1.0", "1.0a"}, {"1.0_pre1", "1.0_rc1"}, {"1.0_cvs1", "1.0_svn1"}, {"1.0_svn1", "1.0_git1"},
		{"1.0_git1", "1.0_hg1"}, {"1.0_hg1", "1.0_p1"}, {"0.1_rc1", "0.1"}, {"1.2.3_p1-r1", "1.2.3_p2"},
	} {
		if got, err := APK(p[0], p[1]); err != nil || got >= 0 {
			t.Errorf("apk: %s < %s: got %d %v", p[0], p[1], got, err)
		}
	}
}
