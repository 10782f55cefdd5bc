package osv

import (
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/vuln/version"
)

// Affects says whether version v of the package is affected: listed in
// Versions, or inside a SEMVER or ECOSYSTEM range. GIT ranges name
// commits, not versions, and are not evaluated (their records list the
// versions too when the source knows them). It also returns the fixed
// versions newer than v, oldest first. An error means a version of the
// ecosystem could not be compared; evaluated says whether any range or
// list could be looked at.
func (a *Affected) Affects(v string) (affected bool, fixed []string, evaluated bool, err error) {
	if slices.Contains(a.Versions, v) {
		affected = true
	}
	evaluated = len(a.Versions) > 0
	cmp, cerr := version.For(a.Package.Ecosystem)
	for _, r := range a.Ranges {
		var c version.Comparator
		switch r.Type {
		case RangeSemver:
			c = version.SemVer
			if version.Base(a.Package.Ecosystem) == "Go" {
				c = version.Go
			}
		case RangeEcosystem:
			if cerr != nil {
				err = cerr
				continue
			}
			c = cmp
		default:
			continue
		}
		in, fx, rerr := inRange(c, r.Events, v)
		if rerr != nil {
			err = rerr
			continue
		}
		evaluated = true
		affected = affected || in
		fixed = append(fixed, fx...)
	}
	slices.SortFunc(fixed, func(x, y string) int {
		n, _ := cmpOrZero(a.Package.Ecosystem, x, y)
		return n
	})
	return affected, slices.Compact(fixed), evaluated, err
}

func cmpOrZero(eco, x, y string) (int, error) {
	c, err := version.Compare(eco, x, y)
	if err != nil {
		c, err = version.SemVer(x, y)
	}
	return c, err
}

// inRange is the OSV schema's evaluation ("IncludedInRanges"): the
// events are sorted by version first (the schema only recommends writers
// to sort them), then walked: v is affected from an introduced version
// until a fixed version or past a last_affected one. limit events bound
// the range: v must be below at least one of them ("*" is infinity; none
// means no bound). Versions that do not parse make the range an error,
// never a silent "not affected".
func inRange(c version.Comparator, events []Event, v string) (bool, []string, error) {
	cmpv := func(a, b string) (int, error) {
		switch {
		case a == b:
			return 0, nil
		case a == "0":
			return -1, nil // introduced "0": before every version
		case b == "0":
			return 1, nil
		}
		return c(a, b)
	}
	type ev struct {
		kind int // 0 introduced, 1 fixed, 2 last_affected: order of equal versions
		ver  string
	}
	var evs []ev
	limited, below := false, false
	for _, e := range events {
		switch {
		case e.Introduced != "":
			evs = append(evs, ev{0, e.Introduced})
		case e.Fixed != "":
			evs = append(evs, ev{1, e.Fixed})
		case e.LastAffected != "":
			evs = append(evs, ev{2, e.LastAffected})
		case e.Limit != "":
			limited = true
			if strings.Contains(e.Limit, "*") {
				below = true
				continue
			}
			n, err := cmpv(v, e.Limit)
			if err != nil {
				return false, nil, err
			}
			below = below || n < 0
		}
	}
	var sortErr error
	slices.SortStableFunc(evs, func(x, y ev) int {
		n, err := cmpv(x.ver, y.ver)
		if err != nil {
			sortErr = err
			return 0
		}
		if n == 0 {
			return x.kind - y.kind
		}
		return n
	})
	if sortErr != nil {
		return false, nil, sortErr
	}
	if limited && !below {
		return false, nil, nil
	}
	affected := false
	var fixed []string
	for _, e := range evs {
		n, err := cmpv(v, e.ver)
		if err != nil {
			return false, nil, err
		}
		switch e.kind {
		case 0:
			if n >= 0 {
				affected = true
			}
		case 1:
			if n >= 0 {
				affected = false
			} else {
				fixed = append(fixed, e.ver)
			}
		case 2:
			if n > 0 {
				affected = false
			}
		}
	}
	if !affected {
		// Fixes of ranges v is not in are not fixes for v.
		return false, nil, nil
	}
	return true, fixed, nil
}
