package version

import (
	"fmt"
	"strings"
)

// Dpkg orders Debian package versions ([epoch:]upstream[-revision]) as
// deb-version(7) defines: epochs numerically, then upstream version and
// revision by alternating non-digit parts (letters before non-letters,
// "~" before everything, even the end) and numeric parts.
func Dpkg(a, b string) (int, error) {
	ea, ua, ra, err := splitDeb(a)
	if err != nil {
		return 0, err
	}
	eb, ub, rb, err := splitDeb(b)
	if err != nil {
		return 0, err
	}
	if c := cmpDigits(ea, eb); c != 0 {
		return c, nil
	}
	if c := debCompare(ua, ub); c != 0 {
		return c, nil
	}
	return debCompare(ra, rb), nil
}

func splitDeb(v string) (epoch, upstream, revision string, err error) {
	v = strings.TrimSpace(v)
	epoch = "0"
	if i := strings.IndexByte(v, ':'); i >= 0 {
		epoch, v = v[:i], v[i+1:]
		if epoch == "" || strings.TrimLeft(epoch, "0123456789") != "" {
			return "", "", "", fmt.Errorf("not a Debian version: bad epoch in %q", v)
		}
	}
	upstream = v
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		upstream, revision = v[:i], v[i+1:]
	}
	if upstream == "" || !isDigit(upstream[0]) {
		return "", "", "", fmt.Errorf("not a Debian version: %q must start with a digit", v)
	}
	return epoch, upstream, revision, nil
}

// debOrder is a character's weight in a non-digit part.
func debOrder(c byte) int {
	switch {
	case c == '~':
		return -1
	case isAlpha(c):
		return int(c)
	}
	return int(c) + 256
}

func debCompare(a, b string) int {
	for a != "" || b != "" {
		// Non-digit prefix, character by character; the end weighs 0.
		for (a != "" && !isDigit(a[0])) || (b != "" && !isDigit(b[0])) {
			wa, wb := 0, 0
			if a != "" && !isDigit(a[0]) {
				wa, a = debOrder(a[0]), a[1:]
			}
			if b != "" && !isDigit(b[0]) {
				wb, b = debOrder(b[0]), b[1:]
			}
			if wa != wb {
				return cmpInt(wa, wb)
			}
		}
		var da, db string
		da, a = leadingDigits(a)
		db, b = leadingDigits(b)
		if c := cmpDigits(da, db); c != 0 {
			return c
		}
	}
	return 0
}

func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}
