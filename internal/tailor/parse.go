package tailor

import (
	"fmt"
	"path"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/rules"
)

type tailoringDoc struct {
	Profile  string                    `yaml:"profile"`
	Select   []string                  `yaml:"select"`
	Unselect []string                  `yaml:"unselect"`
	Params   map[string]map[string]any `yaml:"params"`
	// AcceptUnknown lists rules (ids or globs) whose fixes are applied
	// although the preflight had no source to rate them (impact unknown).
	AcceptUnknown []string `yaml:"accept_unknown"`
}

// ParseTailoring parses a tailoring file:
//
//	profile: default
//	select: [ssh.*]
//	unselect: [fs.tmp.noexec]
//	params: {accounts.pass_max_days: {days: 180}}
//	accept_unknown: [ssh.*]
func ParseTailoring(name string, data []byte) (*Tailoring, error) {
	root, err := rules.ParseYAML(name, data)
	if err != nil {
		return nil, err
	}
	if err := noEmptyValues(name, root, "tailoring"); err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "params" {
			continue
		}
		// A parameter may be an empty list (no exemptions), not blank.
		for _, n := range root.Content[i+1].Content {
			if err := noBlankValues(name, n, "tailoring params"); err != nil {
				return nil, err
			}
		}
	}
	var d tailoringDoc
	if err := rules.DecodeNode(name, root, &d); err != nil {
		return nil, err
	}
	for _, p := range append(append([]string{}, d.Select...), d.Unselect...) {
		if strings.TrimSpace(p) == "" {
			return nil, &rules.Error{File: name, Line: root.Line, Msg: "empty rule pattern in select/unselect"}
		}
	}
	for _, p := range d.AcceptUnknown {
		if _, err := path.Match(p, ""); err != nil || strings.TrimSpace(p) == "" {
			return nil, &rules.Error{File: name, Line: root.Line, Msg: fmt.Sprintf("accept_unknown: %q is not a rule id or glob", p)}
		}
	}
	return &Tailoring{Profile: d.Profile, Select: d.Select, Unselect: d.Unselect, Params: d.Params, AcceptUnknown: d.AcceptUnknown, Source: name, lines: tailoringLines(root)}, nil
}

// tailoringLines records where each rule reference of a tailoring file
// stands, so that Validate can name the line of a typo.
func tailoringLines(root *yaml.Node) map[string]int {
	lines := map[string]int{}
	note := func(line int, parts ...string) {
		k := strings.Join(parts, "\x00")
		if _, ok := lines[k]; !ok {
			lines[k] = line
		}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, v := root.Content[i].Value, root.Content[i+1]
		switch key {
		case "select", "unselect", "accept_unknown":
			for _, item := range v.Content {
				note(item.Line, key, item.Value)
			}
		case "params":
			for j := 0; j+1 < len(v.Content) && v.Kind == yaml.MappingNode; j += 2 {
				rid, ps := v.Content[j], v.Content[j+1]
				note(rid.Line, key, rid.Value)
				for m := 0; m+1 < len(ps.Content) && ps.Kind == yaml.MappingNode; m += 2 {
					note(ps.Content[m].Line, key, rid.Value, ps.Content[m].Value)
				}
			}
		}
	}
	return lines
}

// waiverDoc accepts cradle's fields and InSpec's waiver fields
// (expiration_date, run, justification).
type waiverDoc struct {
	Rule           string   `yaml:"rule"`
	Justification  string   `yaml:"justification"`
	Owner          string   `yaml:"owner"`
	Scope          []string `yaml:"scope"`
	Expires        string   `yaml:"expires"`
	ExpirationDate string   `yaml:"expiration_date"`
	Run            *bool    `yaml:"run"`
}

// ParseWaivers parses a waiver file in either of two shapes:
//
//	waivers:
//	  - rule: ssh.x11_forwarding
//	    justification: ...
//	    owner: alice@example.com
//	    scope: [web-*]
//	    expires: 2027-06-30
//
// or InSpec's map keyed by control id:
//
//	ssh.x11_forwarding:
//	  justification: ...
//	  expiration_date: 2027-06-30
//	  run: false
func ParseWaivers(name string, data []byte) (*Waivers, error) {
	root, err := rules.ParseYAML(name, data)
	if err != nil {
		return nil, err
	}
	var docs []struct {
		id        string
		key, node *yaml.Node
	}
	if len(root.Content) == 2 && root.Content[0].Value == "waivers" {
		seq := root.Content[1]
		if seq.Kind != yaml.SequenceNode {
			return nil, &rules.Error{File: name, Line: seq.Line, Msg: "waivers must be a list"}
		}
		for _, n := range seq.Content {
			docs = append(docs, struct {
				id        string
				key, node *yaml.Node
			}{"", nil, n})
		}
	} else {
		for i := 0; i+1 < len(root.Content); i += 2 {
			docs = append(docs, struct {
				id        string
				key, node *yaml.Node
			}{root.Content[i].Value, root.Content[i], root.Content[i+1]})
		}
	}
	ws := &Waivers{}
	for _, d := range docs {
		if err := noEmptyValues(name, d.node, "waiver"); err != nil {
			return nil, err
		}
		var wd waiverDoc
		if err := rules.DecodeNode(name, d.node, &wd); err != nil {
			return nil, err
		}
		if d.id != "" {
			if wd.Rule != "" && wd.Rule != d.id {
				return nil, &rules.Error{File: name, Line: d.node.Line, Msg: fmt.Sprintf("waiver keyed %q names a different rule %q", d.id, wd.Rule)}
			}
			wd.Rule = d.id
		}
		at := func(msg string) error { return &rules.Error{File: name, Line: d.node.Line, Msg: msg} }
		if strings.TrimSpace(wd.Rule) == "" {
			return nil, at("waiver: rule is required")
		}
		if strings.TrimSpace(wd.Justification) == "" {
			return nil, at(fmt.Sprintf("waiver for %s: justification is required", wd.Rule))
		}
		exp := wd.Expires
		if exp == "" {
			exp = wd.ExpirationDate
		} else if wd.ExpirationDate != "" {
			return nil, at(fmt.Sprintf("waiver for %s: give expires or expiration_date, not both", wd.Rule))
		}
		w := Waiver{Rule: wd.Rule, Justification: strings.TrimSpace(wd.Justification), Owner: wd.Owner, Scope: wd.Scope, Run: true, Source: fmt.Sprintf("%s:%d", name, d.node.Line), file: name, line: ruleLine(d.key, d.node)}
		if wd.Run != nil {
			w.Run = *wd.Run
		}
		if exp != "" {
			t, err := parseDate(exp)
			if err != nil {
				return nil, at(fmt.Sprintf("waiver for %s: expiry %q is not a date like 2027-06-30", wd.Rule, exp))
			}
			w.Expires, w.ExpiresLabel = t, exp
		}
		ws.List = append(ws.List, w)
	}
	return ws, nil
}

// ruleLine is the line naming a waiver's rule: the key of InSpec's map,
// else the rule: field, else the waiver itself.
func ruleLine(key, n *yaml.Node) int {
	if key != nil {
		return key.Line
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "rule" {
			return n.Content[i+1].Line
		}
	}
	return n.Line
}

// parseDate accepts a date, valid through the end of that day (UTC), or an
// RFC 3339 timestamp, valid until that instant.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.AddDate(0, 0, 1), nil
	}
	return time.Parse(time.RFC3339, s)
}

// noEmptyValues refuses a key given with an empty value (`expires: ""`,
// `expires:`, `scope: []`, `owner: ""`, a blank list item) in the mapping
// n and the lists directly in it. Decoded, an empty value looks like an
// absent key, and an absent expiry or scope is the widest setting — a
// waiver for ever, on every target — so a template variable that expanded
// to nothing must not silently grant that. Omit the key instead.
func noEmptyValues(name string, n *yaml.Node, what string) error {
	return checkValues(name, n, what, true)
}

// noBlankValues is noEmptyValues allowing empty lists and mappings.
func noBlankValues(name string, n *yaml.Node, what string) error {
	return checkValues(name, n, what, false)
}

func checkValues(name string, n *yaml.Node, what string, collections bool) error {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		bad := collections && (v.Kind == yaml.SequenceNode || v.Kind == yaml.MappingNode) && len(v.Content) == 0 || isBlank(v)
		if bad {
			return &rules.Error{File: name, Line: v.Line, Msg: fmt.Sprintf("%s: %s has an empty value; give a value or leave the key out", what, k.Value)}
		}
		if v.Kind == yaml.SequenceNode {
			for _, item := range v.Content {
				if isBlank(item) {
					return &rules.Error{File: name, Line: item.Line, Msg: fmt.Sprintf("%s: %s has an empty item", what, k.Value)}
				}
			}
		}
	}
	return nil
}

// isBlank reports whether n is a null or blank scalar.
func isBlank(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || strings.TrimSpace(n.Value) == "")
}
