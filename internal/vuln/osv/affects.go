package osv

import (
	"slices"

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

// inRange walks the events in the order given (OSV requires them sorted
// in practice; every database writes introduced/fixed pairs in order):
// v is affected from an introduced version until a fixed version or past
// a last_affected one; a limit caps the whole range.
func inRange(c version.Comparator, events []Event, v string) (bool, []string, error) {
	cmp := func(x string) (int, error) {
		if x == "0" {
			return 1, nil // "0": before every version
		}
		return c(v, x)
	}
	affected := false
	var fixed []string
	for _, e := range events {
		switch {
		case e.Introduced != "":
			n, err := cmp(e.Introduced)
			if err != nil {
				return false, nil, err
			}
			if n >= 0 {
				affected = true
			}
		case e.Fixed != "":
			n, err := cmp(e.Fixed)
			if err != nil {
				return false, nil, err
			}
			if n >= 0 {
				affected = false
			} else {
				fixed = append(fixed, e.Fixed)
			}
		case e.LastAffected != "":
			n, err := cmp(e.LastAffected)
			if err != nil {
				return false, nil, err
			}
			if n > 0 {
				affected = false
			}
		}
	}
	for _, e := range events {
		if e.Limit != "" && e.Limit != "*" {
			if n, err := cmp(e.Limit); err != nil || n >= 0 {
				return false, nil, err
			}
		}
	}
	if !affected {
		// Fixes of ranges v is not in are not fixes for v.
		return false, nil, nil
	}
	return true, fixed, nil
}
