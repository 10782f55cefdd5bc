package version

import (
	"fmt"
	"regexp"
	"strings"
)

// pep440Re is PEP 440's permissive version syntax (the form pip accepts,
// with the alternative spellings normalisation allows).
var pep440Re = regexp.MustCompile(`^v?(?:(\d+)!)?(\d+(?:\.\d+)*)` +
	`(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?` +
	`(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?` +
	`(?:[-_.]?(dev)[-_.]?(\d*))?` +
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$`)

type pep440 struct {
	epoch   string
	release []string
	// pre: phase 0 (a), 1 (b), 2 (rc); -1 none.
	pre, preN int
	preNum    string
	post, dev string // "" none
	hasPost   bool
	hasDev    bool
	local     []string
}

func parsePEP440(v string) (pep440, error) {
	m := pep440Re.FindStringSubmatch(strings.ToLower(strings.TrimSpace(v)))
	if m == nil {
		return pep440{}, fmt.Errorf("not a PEP 440 version: %q", v)
	}
	p := pep440{epoch: m[1], release: strings.Split(m[2], "."), pre: -1}
	if p.epoch == "" {
		p.epoch = "0"
	}
	// Trailing zeros do not count: 1.0 == 1.0.0.
	for len(p.release) > 1 && strings.Trim(p.release[len(p.release)-1], "0") == "" {
		p.release = p.release[:len(p.release)-1]
	}
	switch m[3] {
	case "a", "alpha":
		p.pre = 0
	case "b", "beta":
		p.pre = 1
	case "":
	default: // c, rc, pre, preview
		p.pre = 2
	}
	p.preNum = m[4]
	switch {
	case m[5] != "":
		p.hasPost, p.post = true, m[5]
	case m[6] != "":
		p.hasPost, p.post = true, m[7]
	}
	if m[8] != "" {
		p.hasDev, p.dev = true, m[9]
	}
	if m[10] != "" {
		p.local = strings.FieldsFunc(m[10], func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	}
	return p, nil
}

// PEP440 orders Python package versions by PEP 440: epoch, release
// (numerically, trailing zeros ignored), then X.devN < X.aN < X.bN <
// X.rcN < X < X.postN, then the local version label.
func PEP440(a, b string) (int, error) {
	pa, err := parsePEP440(a)
	if err != nil {
		return 0, err
	}
	pb, err := parsePEP440(b)
	if err != nil {
		return 0, err
	}
	if c := cmpDigits(pa.epoch, pb.epoch); c != 0 {
		return c, nil
	}
	for i := 0; i < max(len(pa.release), len(pb.release)); i++ {
		if c := cmpDigits(at(pa.release, i), at(pb.release, i)); c != 0 {
			return c, nil
		}
	}
	for _, c := range []int{cmpKey(pa.preKey(), pb.preKey()), cmpOpt(pa.hasPost, pb.hasPost, pa.post, pb.post, -1),
		cmpOpt(pa.hasDev, pb.hasDev, pa.dev, pb.dev, 1), cmpLocal(pa.local, pb.local)} {
		if c != 0 {
			return c, nil
		}
	}
	return 0, nil
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "0"
}

// preKey: a dev release of a final release sorts before its pre-releases;
// a release without pre-release after them.
func (p pep440) preKey() [2]string {
	switch {
	case p.pre >= 0:
		return [2]string{string(rune('1' + p.pre)), p.preNum}
	case p.hasDev && !p.hasPost:
		return [2]string{"0", ""}
	}
	return [2]string{"9", ""}
}

func cmpKey(a, b [2]string) int {
	if c := strings.Compare(a[0], b[0]); c != 0 {
		return c
	}
	return cmpDigits(a[1], b[1])
}

// cmpOpt compares optional numbers; absent sorts as missing (−1: before
// any number, +1: after).
func cmpOpt(hasA, hasB bool, a, b string, missing int) int {
	switch {
	case hasA && hasB:
		return cmpDigits(a, b)
	case hasA:
		return -missing
	case hasB:
		return missing
	}
	return 0
}

// cmpLocal: no label < any label; numeric segments beat alphanumeric
// ones; alphanumeric ones compare as strings; a shorter prefix first.
func cmpLocal(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		na, nb := isNum(a[i]), isNum(b[i])
		switch {
		case na && nb:
			if c := cmpDigits(a[i], b[i]); c != 0 {
				return c
			}
		case na:
			return 1
		case nb:
			return -1
		default:
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
	}
	return cmpInt(len(a), len(b))
}

func isNum(s string) bool { return s != "" && strings.TrimLeft(s, "0123456789") == "" }
