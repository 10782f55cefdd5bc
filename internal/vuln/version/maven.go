package version

import (
	"strings"
)

// mavenQualifiers ranks the well-known qualifiers as Maven's
// ComparableVersion does; the release ("", "ga", "final", "release") is 6.
// Unknown qualifiers sort after "sp", among themselves as strings.
var mavenQualifiers = map[string]int{"alpha": 1, "beta": 2, "milestone": 3,
	"rc": 4, "cr": 4, "snapshot": 5, "": 6, "ga": 6, "final": 6, "release": 6, "sp": 7}

type mavenItem struct {
	num  string // digits, or "" for a qualifier
	qual string
}

// mavenItems splits a version at ".", "-" and digit/letter transitions and
// drops trailing zero and release items, as Maven normalises.
func mavenItems(v string) []mavenItem {
	v = strings.ToLower(strings.TrimSpace(v))
	var items []mavenItem
	for v != "" {
		if v[0] == '.' || v[0] == '-' || v[0] == '_' {
			v = v[1:]
			continue
		}
		if isDigit(v[0]) {
			var d string
			d, v = leadingDigits(v)
			items = append(items, mavenItem{num: d})
			continue
		}
		i := 0
		for i < len(v) && !isDigit(v[i]) && v[i] != '.' && v[i] != '-' && v[i] != '_' {
			i++
		}
		q := v[:i]
		// "a1", "b2", "m3" directly followed by a number are the long forms.
		if len(q) == 1 && i < len(v) && isDigit(v[i]) {
			switch q {
			case "a":
				q = "alpha"
			case "b":
				q = "beta"
			case "m":
				q = "milestone"
			}
		}
		items, v = append(items, mavenItem{qual: q}), v[i:]
	}
	for len(items) > 0 {
		last := items[len(items)-1]
		if (last.num != "" && strings.Trim(last.num, "0") == "") || (last.num == "" && isRelease(last.qual)) {
			items = items[:len(items)-1]
			continue
		}
		break
	}
	return items
}

func isRelease(q string) bool { return q == "" || q == "ga" || q == "final" || q == "release" }

func mavenRank(q string) (int, string) {
	if r, ok := mavenQualifiers[q]; ok {
		return r, ""
	}
	return 8, q
}

// cmpMavenItem compares two items; a missing item is nil.
func cmpMavenItem(a, b *mavenItem) int {
	z := mavenItem{num: "0"}
	if a == nil {
		if b.num == "" {
			a = &mavenItem{}
		} else {
			a = &z
		}
	}
	if b == nil {
		if a.num == "" {
			b = &mavenItem{}
		} else {
			b = &z
		}
	}
	switch {
	case a.num != "" && b.num != "":
		return cmpDigits(a.num, b.num)
	case a.num != "":
		return 1 // numbers are newer than qualifiers
	case b.num != "":
		return -1
	}
	ra, sa := mavenRank(a.qual)
	rb, sb := mavenRank(b.qual)
	if c := cmpInt(ra, rb); c != 0 {
		return c
	}
	return strings.Compare(sa, sb)
}

// Maven orders Maven versions by ComparableVersion's rules, simplified to
// a flat list of items: numbers numerically, alpha < beta < milestone <
// rc = cr < snapshot < release < sp < other qualifiers, a number newer
// than any qualifier, trailing zeros and release markers ignored
// (1.0 == 1 == 1.0.0-ga). Maven never rejects a version.
func Maven(a, b string) (int, error) {
	ia, ib := mavenItems(a), mavenItems(b)
	for i := 0; i < max(len(ia), len(ib)); i++ {
		var x, y *mavenItem
		if i < len(ia) {
			x = &ia[i]
		}
		if i < len(ib) {
			y = &ib[i]
		}
		if c := cmpMavenItem(x, y); c != 0 {
			return c, nil
		}
	}
	return 0, nil
}
