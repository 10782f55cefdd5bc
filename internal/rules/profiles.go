package rules

import (
	"fmt"
	"slices"
	"strings"
)

// Profile is a named selection of rules. A rule belongs to a profile when it
// lists that profile or one the profile extends.
type Profile struct {
	ID          string                    `yaml:"id"`
	Title       string                    `yaml:"title"`
	Description string                    `yaml:"description"`
	Extends     []string                  `yaml:"extends"`
	Params      map[string]map[string]any `yaml:"params"` // rule id -> param -> value
	Source      string                    `yaml:"-"`
}

// Profiles is the set of known profiles.
type Profiles struct {
	list []*Profile
}

type profilesFile struct {
	Profiles []Profile `yaml:"profiles"`
}

// ParseProfiles parses the profile catalogue.
func ParseProfiles(name string, data []byte) (*Profiles, error) {
	root, err := ParseYAML(name, data)
	if err != nil {
		return nil, err
	}
	var pf profilesFile
	if err := DecodeNode(name, root, &pf); err != nil {
		return nil, err
	}
	ps := &Profiles{}
	seen := map[string]bool{}
	for i := range pf.Profiles {
		p := &pf.Profiles[i]
		if !idPattern.MatchString(p.ID) {
			return nil, &Error{File: name, Msg: fmt.Sprintf("profile id %q is not valid", p.ID)}
		}
		if seen[p.ID] {
			return nil, &Error{File: name, Msg: fmt.Sprintf("profile %q defined twice", p.ID)}
		}
		seen[p.ID] = true
		p.Source = name
		ps.list = append(ps.list, p)
	}
	for _, p := range ps.list {
		for _, e := range p.Extends {
			if !seen[e] {
				return nil, &Error{File: name, Msg: fmt.Sprintf("profile %q extends unknown profile %q", p.ID, e)}
			}
		}
	}
	return ps, nil
}

// Lookup finds a profile by id.
func (ps *Profiles) Lookup(id string) (*Profile, bool) {
	for _, p := range ps.list {
		if p.ID == id {
			return p, true
		}
	}
	return nil, false
}

// IDs lists profile ids in catalogue order.
func (ps *Profiles) IDs() []string {
	out := make([]string, len(ps.list))
	for i, p := range ps.list {
		out[i] = p.ID
	}
	return out
}

// All returns the profiles in catalogue order.
func (ps *Profiles) All() []*Profile { return ps.list }

// closure returns id and every profile it extends, transitively.
func (ps *Profiles) closure(id string) []string {
	var out []string
	var walk func(string)
	walk = func(id string) {
		if slices.Contains(out, id) {
			return
		}
		out = append(out, id)
		if p, ok := ps.Lookup(id); ok {
			for _, e := range p.Extends {
				walk(e)
			}
		}
	}
	walk(id)
	return out
}

// Select returns the rules of profile id in set order.
func (ps *Profiles) Select(set *Set, id string) ([]*Rule, error) {
	if _, ok := ps.Lookup(id); !ok {
		return nil, fmt.Errorf("unknown profile %q (known: %s)", id, strings.Join(ps.IDs(), ", "))
	}
	members := ps.closure(id)
	var out []*Rule
	for _, r := range set.Rules {
		for _, p := range r.Profiles {
			if slices.Contains(members, p) {
				out = append(out, r)
				break
			}
		}
	}
	return out, nil
}

// ParamValues returns the parameter overrides profile id sets for rule,
// including those of the profiles it extends: nearer profiles win (a
// profile over its parents, parents over grandparents), and among profiles
// at the same distance the one listed later in extends wins.
func (ps *Profiles) ParamValues(id, rule string) map[string]any {
	// Breadth-first from id gives each profile its shortest distance.
	dist := map[string]int{id: 0}
	order := []string{id}
	for i := 0; i < len(order); i++ {
		p, ok := ps.Lookup(order[i])
		if !ok {
			continue
		}
		for _, e := range p.Extends {
			if _, seen := dist[e]; !seen {
				dist[e] = dist[order[i]] + 1
				order = append(order, e)
			}
		}
	}
	out := map[string]any{}
	// Apply farthest first; order lists same-distance profiles in extends
	// order, so walking it backwards applies later-listed ones last.
	for d := dist[order[len(order)-1]]; d >= 0; d-- {
		for _, pid := range order {
			if dist[pid] != d {
				continue
			}
			if p, ok := ps.Lookup(pid); ok {
				for k, v := range p.Params[rule] {
					out[k] = v
				}
			}
		}
	}
	return out
}

// resolveParams checks that profile parameter overrides name real rules
// and parameters.
func (ps *Profiles) resolveParams(set *Set) error {
	for _, p := range ps.list {
		for rid, vals := range p.Params {
			r, ok := set.Lookup(rid)
			if !ok {
				return &Error{File: p.Source, Msg: fmt.Sprintf("profile %q sets parameters of unknown rule %q", p.ID, rid)}
			}
			for k := range vals {
				if _, ok := r.Params[k]; !ok {
					return &Error{File: p.Source, Msg: fmt.Sprintf("profile %q sets unknown parameter %q of rule %q", p.ID, k, rid)}
				}
			}
		}
	}
	return nil
}
