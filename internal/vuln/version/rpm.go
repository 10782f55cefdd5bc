package version

import (
	"strings"
)

// RPM orders [epoch:]version[-release] as rpm does: a missing epoch is 0,
// epochs compare numerically, then version and release with the rpmvercmp
// rules (alphanumeric segments; numbers beat letters; "~" sorts before
// everything, "^" after the end but before anything else). A release is
// compared only when both sides have one.
func RPM(a, b string) (int, error) {
	ea, va, ra := splitEVR(a)
	eb, vb, rb := splitEVR(b)
	if c := cmpDigits(ea, eb); c != 0 {
		return c, nil
	}
	if c := rpmvercmp(va, vb); c != 0 || ra == "" || rb == "" {
		return c, nil
	}
	return rpmvercmp(ra, rb), nil
}

func splitEVR(v string) (epoch, ver, rel string) {
	v = strings.TrimSpace(v)
	epoch = "0"
	if i := strings.IndexByte(v, ':'); i >= 0 && strings.TrimLeft(v[:i], "0123456789") == "" {
		if i > 0 {
			epoch = v[:i]
		}
		v = v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	for {
		// Separators other than ~ and ^ do not count.
		for a != "" && !isAlnum(a[0]) && a[0] != '~' && a[0] != '^' {
			a = a[1:]
		}
		for b != "" && !isAlnum(b[0]) && b[0] != '~' && b[0] != '^' {
			b = b[1:]
		}
		ta, tb := strings.HasPrefix(a, "~"), strings.HasPrefix(b, "~")
		if ta || tb {
			if ta && tb {
				a, b = a[1:], b[1:]
				continue
			}
			if ta {
				return -1
			}
			return 1
		}
		ca, cb := strings.HasPrefix(a, "^"), strings.HasPrefix(b, "^")
		if ca || cb {
			switch {
			case ca && cb:
				a, b = a[1:], b[1:]
				continue
			case a == "" || b == "":
				// "^" is after the end of the other side.
				if ca {
					return 1
				}
				return -1
			case ca:
				return -1
			}
			return 1
		}
		if a == "" || b == "" {
			break
		}
		var sa, sb string
		numeric := isDigit(a[0])
		if numeric {
			sa, a = leadingDigits(a)
			sb, b = leadingDigits(b)
			if sb == "" {
				return 1 // numbers are newer than letters
			}
			if c := cmpDigits(sa, sb); c != 0 {
				return c
			}
			continue
		}
		sa, a = leadingAlpha(a)
		sb, b = leadingAlpha(b)
		if sb == "" {
			return -1
		}
		if c := strings.Compare(sa, sb); c != 0 {
			return c
		}
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

func leadingAlpha(s string) (alpha, rest string) {
	i := 0
	for i < len(s) && isAlpha(s[i]) {
		i++
	}
	return s[:i], s[i:]
}
