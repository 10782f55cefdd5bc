// Package version compares package versions the way each ecosystem's own
// tools do (OSV "ECOSYSTEM" ranges are defined by them): Go module and
// stdlib versions, SemVer 2.0 (npm, crates.io, OSV "SEMVER" ranges),
// PEP 440 (PyPI), dpkg (Debian, Ubuntu), apk (Alpine), rpm EVR (Red Hat
// family, SUSE), Maven and RubyGems. Each comparator is written from its
// specification; the table tests use the specifications' own examples.
package version

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnsupported: no comparator for the ecosystem.
var ErrUnsupported = errors.New("unsupported ecosystem")

// Comparator orders two versions of one ecosystem: negative when a < b,
// zero when equal, positive when a > b. An error says a version does not
// parse.
type Comparator func(a, b string) (int, error)

// Base strips an OSV ecosystem's release suffix ("Debian:12" → "Debian",
// "Alpine:v3.18" → "Alpine").
func Base(ecosystem string) string {
	if i := strings.IndexByte(ecosystem, ':'); i >= 0 {
		return ecosystem[:i]
	}
	return ecosystem
}

// For returns the comparator of an OSV ecosystem (with or without release
// suffix), or ErrUnsupported.
func For(ecosystem string) (Comparator, error) {
	switch Base(ecosystem) {
	case "Go":
		return Go, nil
	case "npm", "crates.io", "Hex", "Pub", "SwiftURL", "SEMVER":
		return SemVer, nil
	case "PyPI":
		return PEP440, nil
	case "Debian", "Ubuntu":
		return Dpkg, nil
	case "Alpine", "Wolfi", "Chainguard":
		return APK, nil
	case "Red Hat", "Rocky Linux", "AlmaLinux", "openSUSE", "SUSE", "Mageia", "openEuler":
		return RPM, nil
	case "Maven":
		return Maven, nil
	case "RubyGems":
		return Gem, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnsupported, ecosystem)
}

// Compare orders a and b in ecosystem.
func Compare(ecosystem, a, b string) (int, error) {
	c, err := For(ecosystem)
	if err != nil {
		return 0, err
	}
	return c(a, b)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpDigits orders two strings of decimal digits numerically, of any
// length (no overflow).
func cmpDigits(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if c := cmpInt(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
