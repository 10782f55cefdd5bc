// Package rules loads, validates and selects cradle rules: declarative YAML
// documents in which a typed check template (see package check) carries the
// check, its evidence and its remediation. Every mistake in a rule, profile,
// tailoring or waiver file is reported as file:line before anything runs.
package rules

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/result"
)

// Rule is one loaded, validated rule.
type Rule struct {
	ID          string
	Title       string
	Description string
	Rationale   string
	Severity    result.Severity
	// Platforms lists os-release IDs or families (debian, ubuntu, rhel,
	// fedora, alpine, ...) the rule applies to; empty means any Linux.
	Platforms []string
	// Requires lists traits the target must have (see Traits): a rule
	// about kernel parameters requires "kernel", which a container image
	// lacks. Empty means any target.
	Requires   []string
	Profiles   []string
	Params     map[string]Param
	References map[string][]string
	// Template is the check template name; Args its raw arguments, with
	// ${param} placeholders not yet substituted.
	Template string
	Args     *yaml.Node
	Fix      FixMeta
	// Source is "file:line" of the rule's definition.
	Source string
}

// Traits are what a rule can require of a target beyond its platform,
// with what each means. The engine's trait detector decides them per
// target; a rule whose requirement is not met is not_applicable.
var Traits = map[string]string{
	"kernel": "the target boots with its own kernel, so its kernel parameters, modules, mounts and audit rules take effect (the live host, or a tree with an init, a kernel or an fstab; never a container image)",
	"init":   "the target runs its own init system and services (the live host, or a tree with an init; never a container image)",
}

// Param is a tailorable rule parameter.
type Param struct {
	Default     any    `yaml:"default"`
	Description string `yaml:"description"`
}

// FixMeta describes a rule's remediation for filtering and reporting.
type FixMeta struct {
	Disruption string `yaml:"disruption"` // low, medium, high
	Reboot     bool   `yaml:"reboot"`
	Strategy   string `yaml:"strategy"` // configure, disable, restrict, patch, ...
	Notes      string `yaml:"notes"`
}

// Error is a located problem in an input file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Errors is a list of located problems, reported together.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

var (
	idPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*[a-z0-9]$`)
	paramPattern = regexp.MustCompile(`\$\{([a-zA-Z0-9_]+)\}`)
)

// Set is an ordered collection of rules with unique IDs.
type Set struct {
	Rules []*Rule
	byID  map[string]*Rule
	// builtin counts the leading rules that came with cradle; AddFiles
	// sets it so that a clash with one of them is named as such.
	builtin int
}

// Lookup finds a rule.
func (s *Set) Lookup(id string) (*Rule, bool) {
	r, ok := s.byID[id]
	return r, ok
}

// Add appends r, rejecting a duplicate ID.
func (s *Set) Add(r *Rule) error {
	if s.byID == nil {
		s.byID = map[string]*Rule{}
	}
	if prev, dup := s.byID[r.ID]; dup {
		if slices.Index(s.Rules, prev) < s.builtin {
			return fmt.Errorf("rule id %q is a built-in rule (%s); give the rule an id of its own", r.ID, prev.Source)
		}
		return fmt.Errorf("duplicate rule id %q (first defined at %s)", r.ID, prev.Source)
	}
	s.byID[r.ID] = r
	s.Rules = append(s.Rules, r)
	return nil
}

// Sort orders rules by ID for stable output.
func (s *Set) Sort() {
	sort.Slice(s.Rules, func(i, j int) bool { return s.Rules[i].ID < s.Rules[j].ID })
}

// Instantiate substitutes parameter values into the rule's arguments and
// builds its check. values overrides parameter defaults.
func (r *Rule) Instantiate(reg *check.Registry, values map[string]any) (check.Check, error) {
	t, ok := reg.Lookup(r.Template)
	if !ok {
		return nil, fmt.Errorf("%s: unknown check template %q", r.Source, r.Template)
	}
	params := map[string]any{}
	for k, p := range r.Params {
		params[k] = p.Default
	}
	for k, v := range values {
		params[k] = v
	}
	args, err := substitute(r.Args, params)
	if err != nil {
		return nil, err
	}
	c, err := t.New(args)
	if err != nil {
		return nil, fmt.Errorf("%s: rule %s: check %s: %w", r.Source, r.ID, r.Template, err)
	}
	return c, nil
}

// substitute returns a deep copy of n with ${name} placeholders replaced.
// A scalar that is exactly one placeholder takes the parameter's YAML type
// (so a list parameter becomes a sequence).
func substitute(n *yaml.Node, params map[string]any) (*yaml.Node, error) {
	if n == nil {
		return nil, nil
	}
	c := *n
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		if m := paramPattern.FindStringSubmatch(n.Value); m != nil && m[0] == n.Value {
			v, ok := params[m[1]]
			if !ok {
				return nil, check.ArgErrorf(n, "unknown parameter ${%s}", m[1])
			}
			var nn yaml.Node
			if err := nn.Encode(v); err != nil {
				return nil, check.ArgErrorf(n, "parameter %s: %v", m[1], err)
			}
			nn.Line, nn.Column = n.Line, n.Column
			return &nn, nil
		}
		var missing string
		c.Value = paramPattern.ReplaceAllStringFunc(n.Value, func(s string) string {
			name := paramPattern.FindStringSubmatch(s)[1]
			v, ok := params[name]
			if !ok {
				missing = name
				return s
			}
			return fmt.Sprint(v)
		})
		if missing != "" {
			return nil, check.ArgErrorf(n, "unknown parameter ${%s}", missing)
		}
		c.Tag = "!!str"
		return &c, nil
	}
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, ch := range n.Content {
			s, err := substitute(ch, params)
			if err != nil {
				return nil, err
			}
			c.Content[i] = s
		}
	}
	return &c, nil
}
