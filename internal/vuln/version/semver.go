package version

import (
	"fmt"
	"strings"

	"golang.org/x/mod/semver"
)

// Go orders Go module versions as OSV writes them ("1.2.3",
// "0.0.0-20220906165146-f3363e06e74c", with or without the leading v) and
// Go toolchain versions ("go1.21rc2", "go1.22"). Pseudo-versions are
// SemVer pre-releases and so order by their timestamp.
func Go(a, b string) (int, error) {
	va, err := goSemver(a)
	if err != nil {
		return 0, err
	}
	vb, err := goSemver(b)
	if err != nil {
		return 0, err
	}
	return semver.Compare(va, vb), nil
}

// GoCanonical returns v as OSV's Go database spells versions: SemVer
// without the "v" ("go1.21rc2" → "1.21.0-rc.2"), or "" when v is not one.
func GoCanonical(v string) string {
	s, err := goSemver(v)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(s, "v")
}

func goSemver(v string) (string, error) {
	if t, ok := strings.CutPrefix(v, "go"); ok {
		v = toolchain(t)
	}
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	if !semver.IsValid(v) {
		return "", fmt.Errorf("not a Go version: %q", v)
	}
	return semver.Canonical(v), nil
}

// toolchain turns a Go release name ("1.21rc2", "1.22", "1.9.2beta1") into
// SemVer ("1.21.0-rc.2", "1.22.0", "1.9.2-beta.1").
func toolchain(t string) string {
	pre := ""
	for _, p := range []string{"beta", "rc"} {
		if i := strings.Index(t, p); i > 0 {
			pre = "-" + p + "." + t[i+len(p):]
			t = t[:i]
			break
		}
	}
	if strings.Count(t, ".") == 1 {
		t += ".0"
	}
	return t + pre
}

// SemVer orders Semantic Versioning 2.0 versions (npm, crates.io and OSV
// "SEMVER" ranges): numeric major.minor.patch, pre-releases before the
// release, build metadata ignored. A leading "v" or "=" (npm) is allowed.
func SemVer(a, b string) (int, error) {
	va, err := strictSemver(a)
	if err != nil {
		return 0, err
	}
	vb, err := strictSemver(b)
	if err != nil {
		return 0, err
	}
	return semver.Compare(va, vb), nil
}

func strictSemver(v string) (string, error) {
	s := strings.TrimLeft(strings.TrimSpace(v), "=v")
	// x/mod/semver accepts the shorthands "v1" and "v1.2"; SemVer does not,
	// but OSV records write introduced "0", so they are read as zeros.
	if !semver.IsValid("v" + s) {
		return "", fmt.Errorf("not a SemVer version: %q", v)
	}
	return "v" + s, nil
}
