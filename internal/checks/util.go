package checks

import (
	"strings"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/result"
)

func join(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + ", " + b
}

func orList(v []string) string {
	switch len(v) {
	case 0:
		return ""
	case 1:
		return v[0]
	}
	return strings.Join(v[:len(v)-1], ", ") + " or " + v[len(v)-1]
}

// presence judges found of total things (files, packages) that must all
// be present, at least one (anyOf) or none (!wantPresent).
func presence(wantPresent, anyOf bool, found, total int, ev []result.Evidence) check.Outcome {
	var ok bool
	switch {
	case !wantPresent:
		ok = found == 0
	case anyOf:
		ok = found > 0
	default:
		ok = found == total
	}
	if ok {
		return check.Pass(ev...)
	}
	return check.Fail(ev...)
}
