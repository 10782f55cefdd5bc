package xccdf

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/cradle-cra/cradle/internal/scap"
)

// Tailoring is an XCCDF 1.2 tailoring file: profiles that extend or
// replace the benchmark's.
type Tailoring struct {
	XMLName  xml.Name
	ID       string     `xml:"id,attr"`
	Profiles []*Profile `xml:"Profile"`
}

// ParseTailoring reads an XCCDF tailoring file.
func ParseTailoring(data []byte) (*Tailoring, error) {
	var t Tailoring
	if err := scap.Decode(data, &t); err != nil {
		return nil, err
	}
	if t.XMLName.Space != NS || t.XMLName.Local != "Tailoring" {
		return nil, fmt.Errorf("not an XCCDF 1.2 Tailoring (%s %s)", t.XMLName.Space, t.XMLName.Local)
	}
	if len(t.Profiles) == 0 {
		return nil, fmt.Errorf("the tailoring file has no Profile")
	}
	return &t, nil
}

// Selection is a resolved profile: which rules are selected, the value of
// every Value, and the refinements of rules.
type Selection struct {
	ProfileID    string
	ProfileTitle string
	selected     map[*Item]bool // explicit selections of groups and rules
	values       map[string]string
	refine       map[string]RefineRule // rule id → merged refinement
	depOff       map[*Item]bool        // unselected by requires or conflicts (resolveDeps)
	Platforms    []Idref
}

// Profiles lists the benchmark's profiles followed by the tailoring's.
func Profiles(b *Benchmark, t *Tailoring) []*Profile {
	out := append([]*Profile(nil), b.Profiles...)
	if t != nil {
		out = append(out, t.Profiles...)
	}
	return out
}

// Resolve resolves profile id of b, looked up in the tailoring first. An
// empty id selects the benchmark's defaults (no profile).
func Resolve(b *Benchmark, t *Tailoring, id string) (*Selection, error) {
	s := &Selection{ProfileID: id, selected: map[*Item]bool{}, values: map[string]string{}, refine: map[string]RefineRule{}}
	if id == "" {
		if t != nil && len(t.Profiles) == 1 {
			id = t.Profiles[0].ID
			s.ProfileID = id
		} else {
			s.ProfileID = "(default)"
			s.resolveValues(b)
			return s, nil
		}
	}
	chain, err := profileChain(b, t, id)
	if err != nil {
		return nil, err
	}
	s.ProfileTitle = text(chain[len(chain)-1].Title)
	refineValues := map[string]string{}
	setValues := map[string]string{}
	for _, p := range chain { // base first: a derived profile overrides
		for _, sel := range p.Selects {
			items := b.lookup(sel.Idref)
			if len(items) == 0 {
				return nil, fmt.Errorf("profile %s selects %q, which is not a rule, group or cluster of the benchmark", p.ID, sel.Idref)
			}
			for _, it := range items {
				s.selected[it] = sel.Selected
			}
		}
		for _, rv := range p.RefineValues {
			if b.values[rv.Idref] == nil {
				return nil, fmt.Errorf("profile %s refines value %q, which the benchmark does not define", p.ID, rv.Idref)
			}
			refineValues[rv.Idref] = rv.Selector
			delete(setValues, rv.Idref)
		}
		for _, sv := range p.SetValues {
			if b.values[sv.Idref] == nil {
				return nil, fmt.Errorf("profile %s sets value %q, which the benchmark does not define", p.ID, sv.Idref)
			}
			setValues[sv.Idref] = sv.Value
		}
		for _, rr := range p.RefineRules {
			items := b.lookup(rr.Idref)
			if len(items) == 0 {
				return nil, fmt.Errorf("profile %s refines %q, which is not a rule, group or cluster of the benchmark", p.ID, rr.Idref)
			}
			for _, it := range items {
				m := s.refine[it.ID]
				mergeRefine(&m, rr)
				s.refine[it.ID] = m
			}
		}
		s.Platforms = append(s.Platforms, p.Platforms...)
	}
	s.resolveValues(b)
	for id, sel := range refineValues {
		v, err := valueFor(b.values[id], sel)
		if err != nil {
			return nil, err
		}
		s.values[id] = v
	}
	for id, v := range setValues {
		s.values[id] = v
	}
	return s, nil
}

func mergeRefine(m *RefineRule, rr RefineRule) {
	m.Idref = rr.Idref
	if rr.Selector != "" {
		m.Selector = rr.Selector
	}
	if rr.Severity != "" {
		m.Severity = rr.Severity
	}
	if rr.Weight != "" {
		m.Weight = rr.Weight
	}
	if rr.Role != "" {
		m.Role = rr.Role
	}
}

// profileChain returns the profile and its ancestors, base first.
func profileChain(b *Benchmark, t *Tailoring, id string) ([]*Profile, error) {
	find := func(id string, fromTailoring bool) *Profile {
		if t != nil && fromTailoring {
			for _, p := range t.Profiles {
				if p.ID == id {
					return p
				}
			}
		}
		for _, p := range b.Profiles {
			if p.ID == id {
				return p
			}
		}
		return nil
	}
	var chain []*Profile
	seen := map[*Profile]bool{}
	p := find(id, true)
	if p == nil {
		var ids []string
		for _, p := range Profiles(b, t) {
			ids = append(ids, p.ID)
		}
		return nil, fmt.Errorf("no profile %q (the content has: %s)", id, strings.Join(ids, ", "))
	}
	for p != nil {
		if seen[p] {
			return nil, fmt.Errorf("profile %s extends itself", p.ID)
		}
		seen[p] = true
		chain = append([]*Profile{p}, chain...)
		if p.Extends == "" {
			break
		}
		// A tailoring profile may extend a benchmark profile of the same
		// id; a benchmark profile extends benchmark profiles only.
		next := find(p.Extends, t != nil && !isIn(b.Profiles, p) && p.Extends != p.ID)
		if next == nil {
			return nil, fmt.Errorf("profile %s extends %q, which does not exist", p.ID, p.Extends)
		}
		p = next
	}
	return chain, nil
}

func isIn(ps []*Profile, p *Profile) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// lookup finds the items an idref names: a rule, group or Value id, or a
// cluster-id.
func (b *Benchmark) lookup(idref string) []*Item {
	if it := b.rules[idref]; it != nil {
		return []*Item{it}
	}
	if it := b.groups[idref]; it != nil {
		return []*Item{it}
	}
	return b.clusters[idref]
}

// resolveValues gives every Value its default (unselected) value.
func (s *Selection) resolveValues(b *Benchmark) {
	for id, v := range b.values {
		if _, ok := s.values[id]; ok {
			continue
		}
		s.values[id], _ = valueFor(v, "")
	}
}

// valueFor returns the value of v for selector: the value with that
// selector, else the one without a selector (the XCCDF default), else
// the first.
func valueFor(v *Item, selector string) (string, error) {
	for _, x := range v.Values {
		if x.Selector == selector {
			return x.Value, nil
		}
	}
	if selector != "" {
		return "", fmt.Errorf("value %s has no selector %q", v.ID, selector)
	}
	if len(v.Values) > 0 {
		return v.Values[0].Value, nil
	}
	return "", nil
}

// Value returns the resolved value of a Value id.
func (s *Selection) Value(id string) (string, bool) {
	v, ok := s.values[id]
	return v, ok
}

// Selected reports whether rule r is selected: its own selection and that
// of every ancestor group (explicit in the profile, else their selected
// attribute, which defaults to true), and XCCDF's requires and conflicts
// of the rule and its groups hold. Those are decided in document order,
// as the XCCDF processing model (and OpenSCAP) does: an item is
// unselected when none of the items one of its requires elements lists
// is still selected, or when an item it conflicts with still is; of two
// rules that conflict with each other (SSG's sshd_enable_warning_banner
// and sshd_enable_warning_banner_net) the first is unselected and the
// second evaluated.
func (s *Selection) Selected(b *Benchmark, r *Item) bool {
	if s.depOff == nil {
		s.resolveDeps(b)
	}
	for it := r; it != nil; it = b.parent[it] {
		if s.depOff[it] {
			return false
		}
	}
	return s.chainSelected(b, r)
}

// resolveDeps walks groups and rules in document order and records the
// items requires or conflicts unselect.
func (s *Selection) resolveDeps(b *Benchmark) {
	s.depOff = map[*Item]bool{}
	on := func(id string) bool {
		it := b.rules[id]
		if it == nil {
			it = b.groups[id]
		}
		if it == nil || !s.chainSelected(b, it) {
			return false
		}
		for x := it; x != nil; x = b.parent[x] {
			if s.depOff[x] {
				return false
			}
		}
		return true
	}
	var walk func(items []*Item)
	walk = func(items []*Item) {
		for _, it := range items {
			k := it.Kind()
			if k != "Rule" && k != "Group" {
				continue
			}
			if on(it.ID) {
				for _, c := range it.Conflicts {
					if on(c.Idref) {
						s.depOff[it] = true
					}
				}
				for _, req := range it.Requires {
					ok := false
					for _, id := range strings.Fields(req.Idref) {
						ok = ok || on(id)
					}
					if !ok {
						s.depOff[it] = true
					}
				}
			}
			if k == "Group" {
				walk(it.Children)
			}
		}
	}
	walk(b.Items)
}

func (s *Selection) chainSelected(b *Benchmark, r *Item) bool {
	for it := r; it != nil; it = b.parent[it] {
		sel, ok := s.selected[it]
		if !ok {
			sel = it.Selected != "false" && it.Selected != "0"
		}
		if !sel {
			return false
		}
	}
	return true
}
