package version

import (
	"fmt"
	"strings"
)

// apk token kinds, in apk-tools' order: at the first position where two
// versions have tokens of different kinds, the kind earlier in this list
// is the newer version (1.2.1 > 1.2a > 1.2_p1 > 1.2-r1 > 1.2), except
// that a pre-release suffix (_alpha, _beta, _pre, _rc) is always older.
const (
	apkDigit = iota
	apkLetter
	apkSuffix
	apkRevision
	apkEnd
)

// apkSuffixes ranks the suffixes: pre-releases below zero, the release
// (no suffix) zero, post-release markers above.
var apkSuffixes = map[string]int{"alpha": -4, "beta": -3, "pre": -2, "rc": -1, "cvs": 1, "svn": 2, "git": 3, "hg": 4, "p": 5}

type apkToken struct {
	kind   int
	text   string // digits, the letter
	suffix int    // apkSuffix: the rank
}

// apkTokens splits an Alpine version: digits{.digits}[letter]{_suffix[digits]}[-rN].
func apkTokens(v string) ([]apkToken, error) {
	var out []apkToken
	s := strings.TrimSpace(v)
	bad := func() ([]apkToken, error) { return nil, fmt.Errorf("not an Alpine version: %q", v) }
	d, s := leadingDigits(s)
	if d == "" {
		return bad()
	}
	out = append(out, apkToken{kind: apkDigit, text: d})
	for strings.HasPrefix(s, ".") {
		if d, s = leadingDigits(s[1:]); d == "" {
			return bad()
		}
		out = append(out, apkToken{kind: apkDigit, text: d})
	}
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		out, s = append(out, apkToken{kind: apkLetter, text: s[:1]}), s[1:]
	}
	for strings.HasPrefix(s, "_") {
		name, rest := leadingAlpha(s[1:])
		rank, ok := apkSuffixes[name]
		if !ok {
			return bad()
		}
		d, s = leadingDigits(rest)
		out = append(out, apkToken{kind: apkSuffix, suffix: rank, text: d})
	}
	if r, ok := strings.CutPrefix(s, "-r"); ok {
		if d, s = leadingDigits(r); d == "" {
			return bad()
		}
		out = append(out, apkToken{kind: apkRevision, text: d})
	}
	if s != "" {
		return bad()
	}
	return append(out, apkToken{kind: apkEnd}), nil
}

// APK orders Alpine package versions as apk-tools does.
func APK(a, b string) (int, error) {
	ta, err := apkTokens(a)
	if err != nil {
		return 0, err
	}
	tb, err := apkTokens(b)
	if err != nil {
		return 0, err
	}
	for i := 0; i < len(ta) && i < len(tb); i++ {
		x, y := ta[i], tb[i]
		if x.kind != y.kind {
			switch {
			case x.kind == apkSuffix && x.suffix < 0:
				return -1, nil
			case y.kind == apkSuffix && y.suffix < 0:
				return 1, nil
			}
			return cmpInt(y.kind, x.kind), nil
		}
		var c int
		switch x.kind {
		case apkDigit:
			// Later components with a leading zero compare as decimals
			// (1.01 < 1.1), as apk-tools does.
			if i > 0 && (strings.HasPrefix(x.text, "0") || strings.HasPrefix(y.text, "0")) {
				c = strings.Compare(x.text, y.text)
			} else {
				c = cmpDigits(x.text, y.text)
			}
		case apkLetter:
			c = strings.Compare(x.text, y.text)
		case apkSuffix:
			if c = cmpInt(x.suffix, y.suffix); c == 0 {
				c = cmpDigits(x.text, y.text)
			}
		case apkRevision:
			c = cmpDigits(x.text, y.text)
		}
		if c != 0 {
			return c, nil
		}
	}
	return 0, nil
}
