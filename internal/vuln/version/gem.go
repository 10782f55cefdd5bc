package version

import (
	"fmt"
	"regexp"
	"strings"
)

var gemRe = regexp.MustCompile(`^[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
var gemSegRe = regexp.MustCompile(`[0-9]+|[a-zA-Z]+`)

// gemSegments splits a RubyGems version into numeric and alphabetic
// segments ("1.0.0a1" → 1 0 0 a 1; "-" starts a pre-release as ".pre."),
// trailing numeric zeros dropped.
func gemSegments(v string) ([]string, error) {
	v = strings.TrimSpace(v)
	if !gemRe.MatchString(v) {
		return nil, fmt.Errorf("not a RubyGems version: %q", v)
	}
	segs := gemSegRe.FindAllString(strings.ReplaceAll(v, "-", ".pre."), -1)
	for len(segs) > 1 && strings.Trim(segs[len(segs)-1], "0") == "" {
		segs = segs[:len(segs)-1]
	}
	return segs, nil
}

// Gem orders RubyGems versions as Gem::Version does: segment by segment,
// numbers numerically, letters as strings, a letter segment (a
// pre-release: 1.0.a, 1.0.rc1) before any number, missing segments zero
// (1.0 == 1).
func Gem(a, b string) (int, error) {
	sa, err := gemSegments(a)
	if err != nil {
		return 0, err
	}
	sb, err := gemSegments(b)
	if err != nil {
		return 0, err
	}
	for i := 0; i < max(len(sa), len(sb)); i++ {
		x, y := "0", "0"
		if i < len(sa) {
			x = sa[i]
		}
		if i < len(sb) {
			y = sb[i]
		}
		nx, ny := isDigit(x[0]), isDigit(y[0])
		var c int
		switch {
		case nx && ny:
			c = cmpDigits(x, y)
		case nx:
			c = 1
		case ny:
			c = -1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c, nil
		}
	}
	return 0, nil
}
