package xccdf

import (
	"context"
	"fmt"
	"strings"

	"github.com/cradle-cra/cradle/internal/scap"
)

// Dictionary is a CPE 2.x dictionary: the check deciding whether each
// platform name applies to the target.
type Dictionary struct {
	Items map[string]CPEItem
}

// CPEItem is a dictionary entry.
type CPEItem struct {
	Name   string
	Title  string
	Checks []CPECheck
}

// CPECheck is a dictionary item's check (an OVAL inventory definition).
type CPECheck struct {
	System string `xml:"system,attr"`
	Href   string `xml:"href,attr"`
	ID     string `xml:",chardata"`
}

type cpeListXML struct {
	Items []struct {
		Name   string     `xml:"name,attr"`
		Title  []Text     `xml:"title"`
		Checks []CPECheck `xml:"check"`
	} `xml:"cpe-item"`
}

func parseDictionary(data []byte) (*Dictionary, error) {
	var l cpeListXML
	if err := scap.Decode(data, &l); err != nil {
		return nil, err
	}
	d := &Dictionary{Items: map[string]CPEItem{}}
	for _, it := range l.Items {
		cs := it.Checks
		for i := range cs {
			cs[i].ID = strings.TrimSpace(cs[i].ID)
		}
		d.Items[it.Name] = CPEItem{Name: it.Name, Title: text(it.Title), Checks: cs}
	}
	return d, nil
}

// applicability is the outcome of a platform test: applicable or not,
// or an error (the check could not decide).
type applicability struct {
	ok     bool
	err    bool
	reason string
}

// platforms decides a list of platform elements: the item applies when
// any of them does (none: always).
func (e *evaluation) platforms(ctx context.Context, ps []Idref) applicability {
	if len(ps) == 0 {
		return applicability{ok: true}
	}
	var reasons []string
	var errs []string
	for _, p := range ps {
		a := e.platform(ctx, p.Idref)
		if a.ok {
			return a
		}
		if a.err {
			errs = append(errs, a.reason)
		} else {
			reasons = append(reasons, a.reason)
		}
	}
	if len(errs) > 0 {
		return applicability{err: true, reason: strings.Join(errs, "; ")}
	}
	return applicability{reason: strings.Join(reasons, "; ")}
}

// platform decides one platform idref: "#id" names a cpe-lang platform of
// the benchmark, anything else a CPE name. Results are memoised.
func (e *evaluation) platform(ctx context.Context, idref string) applicability {
	if a, ok := e.platCache[idref]; ok {
		return a
	}
	var a applicability
	if id, ok := strings.CutPrefix(idref, "#"); ok {
		a = e.platformSpec(ctx, id)
	} else {
		a = e.cpeName(ctx, idref)
	}
	e.platCache[idref] = a
	return a
}

func (e *evaluation) platformSpec(ctx context.Context, id string) applicability {
	b := e.src.Benchmark
	if b.PlatSpec != nil {
		for i := range b.PlatSpec.Platforms {
			if p := &b.PlatSpec.Platforms[i]; p.ID == id {
				r := e.logical(ctx, &p.Test, 0)
				switch r {
				case triTrue:
					return applicability{ok: true}
				case triFalse:
					return applicability{reason: "platform " + orID(text(p.Title), id) + " does not apply"}
				}
				return applicability{err: true, reason: "platform " + id + " could not be decided: " + e.lastErr}
			}
		}
	}
	return applicability{err: true, reason: fmt.Sprintf("platform %q is not defined in the benchmark", id)}
}

func orID(title, id string) string {
	if title != "" {
		return fmt.Sprintf("%q", title)
	}
	return id
}

type tri int

const (
	triFalse tri = iota
	triTrue
	triError
)

// logical evaluates a cpe-lang logical-test (AND/OR with negate; an
// error is neither true nor false, as in the CPE applicability language).
func (e *evaluation) logical(ctx context.Context, t *LogicalTest, depth int) tri {
	if depth > 32 {
		e.lastErr = "logical tests nested deeper than 32"
		return triError
	}
	var vals []tri
	for i := range t.Tests {
		vals = append(vals, e.logical(ctx, &t.Tests[i], depth+1))
	}
	for _, f := range t.FactRefs {
		a := e.platform(ctx, f.Name)
		vals = append(vals, triOf(a))
	}
	for _, c := range t.CheckFacts {
		vals = append(vals, triOf(e.checkFact(ctx, c.System, c.Href, c.IDRef)))
	}
	r := combineTri(strings.ToUpper(t.Operator) == "OR", vals)
	if t.Negate && r != triError {
		r = 1 - r
	}
	return r
}

func triOf(a applicability) tri {
	switch {
	case a.ok:
		return triTrue
	case a.err:
		return triError
	}
	return triFalse
}

func combineTri(or bool, vals []tri) tri {
	sawErr := false
	for _, v := range vals {
		switch {
		case v == triError:
			sawErr = true
		case or && v == triTrue:
			return triTrue
		case !or && v == triFalse:
			return triFalse
		}
	}
	if sawErr {
		return triError
	}
	if or {
		return triFalse
	}
	return triTrue
}

// cpeName decides a CPE name through the dictionary's check.
func (e *evaluation) cpeName(ctx context.Context, name string) applicability {
	if e.src.Dict == nil {
		return applicability{err: true, reason: fmt.Sprintf("platform %s: the content has no CPE dictionary", name)}
	}
	it, ok := e.src.Dict.Items[name]
	if !ok {
		return applicability{err: true, reason: fmt.Sprintf("platform %s is not in the CPE dictionary", name)}
	}
	for _, c := range it.Checks {
		if c.System == SystemOVAL {
			a := e.checkFact(ctx, c.System, c.Href, c.ID)
			if !a.ok && !a.err {
				a.reason = "platform " + orID(it.Title, name) + " does not apply"
			}
			return a
		}
	}
	return applicability{err: true, reason: fmt.Sprintf("platform %s has no OVAL check in the CPE dictionary", name)}
}

// checkFact evaluates an OVAL inventory definition of the CPE content.
func (e *evaluation) checkFact(ctx context.Context, system, href, id string) applicability {
	if system != SystemOVAL {
		return applicability{err: true, reason: fmt.Sprintf("platform check system %s is not supported", system)}
	}
	resolve := e.src.resolveDict
	if resolve == nil {
		resolve = e.src.resolve
	}
	doc, err := resolve(href)
	if err != nil {
		// Data streams list CPE OVAL under the checklist's catalog too.
		if doc, err = e.src.resolve(href); err != nil {
			e.lastErr = err.Error()
			return applicability{err: true, reason: "platform check " + id + ": " + err.Error()}
		}
	}
	res, err := e.oval.Definition(ctx, doc, id)
	if err != nil {
		e.lastErr = err.Error()
		return applicability{err: true, reason: "platform check " + id + ": " + err.Error()}
	}
	switch res.Value {
	case OVALTrue:
		return applicability{ok: true}
	case OVALFalse:
		return applicability{reason: "platform check " + id + " is false"}
	}
	e.lastErr = fmt.Sprintf("%s is %s: %s", id, res.Value, res.Message)
	return applicability{err: true, reason: "platform check " + e.lastErr}
}
