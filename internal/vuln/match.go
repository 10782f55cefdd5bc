package vuln

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/vuln/feed"
	"github.com/cradle-cra/cradle/internal/vuln/osv"
	"github.com/cradle-cra/cradle/internal/vuln/version"
)

// Source is the database matching reads (internal/vuln/db.DB).
type Source interface {
	Lookup(ecosystem, name string) ([]*osv.Record, error)
	KEV(cve string) (*feed.KEV, error)
	EPSS(cve string) (*feed.EPSS, error)
}

// Match looks every component up and returns its findings, one per
// vulnerability and package: records that share an id or alias (a GO-
// record and the GHSA it aliases) are merged. Components whose ecosystem
// cannot be compared are returned as gaps, never silently passed.
func Match(src Source, comps []Component) (findings []Finding, gaps []Gap, err error) {
	for _, c := range comps {
		if c.Ecosystem == "" || c.Name == "" || c.Version == "" {
			gaps = append(gaps, Gap{Package: pkgOf(c), Reason: "no OSV ecosystem, name or version"})
			continue
		}
		if _, err := version.For(c.Ecosystem); err != nil {
			gaps = append(gaps, Gap{Package: pkgOf(c), Reason: err.Error()})
			continue
		}
		recs, err := src.Lookup(c.Ecosystem, c.Name)
		if err != nil {
			return nil, nil, fmt.Errorf("look up %s %s: %w", c.Ecosystem, c.Name, err)
		}
		byName := len(recs)
		if c.Source != "" {
			// Distribution advisories name the source package.
			more, err := src.Lookup(c.Ecosystem, c.Source)
			if err != nil {
				return nil, nil, fmt.Errorf("look up %s %s: %w", c.Ecosystem, c.Source, err)
			}
			recs = append(recs, more...)
		}
		var hits []hit
		seen := map[string]bool{}
		for i, r := range recs {
			if seen[r.ID] {
				continue
			}
			seen[r.ID] = true
			as := c
			if i >= byName {
				as.Name = c.Source
				if c.SourceVersion != "" {
					as.Version = c.SourceVersion
				}
			}
			h, ok, err := affects(r, as)
			if err != nil {
				gaps = append(gaps, Gap{Package: pkgOf(c), Reason: fmt.Sprintf("%s: %v", r.ID, err)})
			}
			if ok {
				hits = append(hits, h)
			}
		}
		for _, group := range merge(hits) {
			f, err := finding(src, c, group)
			if err != nil {
				return nil, nil, err
			}
			findings = append(findings, f)
		}
	}
	slices.SortFunc(findings, func(a, b Finding) int {
		return strings.Compare(a.Package.Name+"\x00"+a.Package.Version+"\x00"+a.ID, b.Package.Name+"\x00"+b.Package.Version+"\x00"+b.ID)
	})
	return findings, gaps, nil
}

var errNotEvaluated = errors.New("only GIT (commit) ranges and no versions list: not evaluated")

type hit struct {
	rec   *osv.Record
	fixed []string
}

// affects evaluates the record's entries for the component's package.
func affects(r *osv.Record, c Component) (hit, bool, error) {
	h := hit{rec: r}
	found := false
	var firstErr error
	for i := range r.Affected {
		a := &r.Affected[i]
		if osv.IndexKey(a.Package.Ecosystem, a.Package.Name) != osv.IndexKey(c.Ecosystem, c.Name) || !sameRelease(a.Package.Ecosystem, c.Ecosystem) {
			continue
		}
		if !platform(a, c) {
			continue
		}
		ok, fixed, evaluated, err := a.Affects(c.Version)
		if err == nil && !evaluated {
			// Commit ranges need the repository's history; the schema
			// asks such records to list versions too. Say so rather than
			// pass the package silently.
			err = errNotEvaluated
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if ok {
			found = true
			h.fixed = append(h.fixed, fixed...)
		}
	}
	return h, found, firstErr
}

// sameRelease: a record for "Debian:11" does not apply to a Debian 12
// package. Only Debian, Ubuntu and Alpine releases are compared (their
// OSV ecosystems name the release plainly: "Ubuntu:22.04:LTS",
// "Alpine:v3.18"); either side without a release matches.
func sameRelease(recEco, compEco string) bool {
	base, r1, ok1 := strings.Cut(recEco, ":")
	_, r2, ok2 := strings.Cut(compEco, ":")
	if !ok1 || !ok2 || (base != "Debian" && base != "Ubuntu" && base != "Alpine") {
		return true
	}
	r1, _, _ = strings.Cut(r1, ":")
	r2, _, _ = strings.Cut(r2, ":")
	return strings.TrimPrefix(r1, "v") == strings.TrimPrefix(r2, "v")
}

// platform applies the Go database's GOOS/GOARCH limits as govulncheck's
// binary mode does: an entry applies when any of its packages is built
// for the component's platform (or the platform is unknown).
func platform(a *osv.Affected, c Component) bool {
	if a.EcosystemSpecific == nil || len(a.EcosystemSpecific.Imports) == 0 {
		return true
	}
	for _, im := range a.EcosystemSpecific.Imports {
		if (c.GOOS == "" || len(im.GOOS) == 0 || slices.Contains(im.GOOS, c.GOOS)) &&
			(c.GOARCH == "" || len(im.GOARCH) == 0 || slices.Contains(im.GOARCH, c.GOARCH)) {
			return true
		}
	}
	return false
}

// merge groups hits whose records share an id or alias.
func merge(hits []hit) [][]hit {
	var groups [][]hit
	var ids []map[string]bool
	for _, h := range hits {
		var into []int
		for gi, set := range ids {
			for _, id := range h.rec.IDs() {
				if set[id] {
					into = append(into, gi)
					break
				}
			}
		}
		g, set := []hit{h}, map[string]bool{}
		for _, id := range h.rec.IDs() {
			set[id] = true
		}
		// Join every group the record bridges, last first.
		for k := len(into) - 1; k >= 0; k-- {
			gi := into[k]
			g = append(g, groups[gi]...)
			for id := range ids[gi] {
				set[id] = true
			}
			groups, ids = slices.Delete(groups, gi, gi+1), slices.Delete(ids, gi, gi+1)
		}
		groups, ids = append(groups, g), append(ids, set)
	}
	return groups
}
