package checks

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/sudoers"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
)

// sudoOptionTemplate checks a global Defaults setting of the sudoers
// policy (includes resolved, last setting wins):
//
//	sudo_option: {option: use_pty, enabled: true, default: "false"}
//	sudo_option: {option: logfile, present: true}
//	sudo_option: {option: timestamp_timeout, min: 0, max: 15, default: "15"}
//
// enabled checks a flag ("Defaults use_pty" is true, "!use_pty" false);
// present requires a value; min/max and allowed check the value. default
// is sudo's built-in value when the option is not set. No /etc/sudoers
// means sudo is not installed: not_applicable.
type sudoOptionTemplate struct{}

type sudoOptionArgs struct {
	Option  string   `yaml:"option"`
	Enabled *bool    `yaml:"enabled"`
	Present bool     `yaml:"present"`
	Allowed []string `yaml:"allowed"`
	Min     *int64   `yaml:"min"`
	Max     *int64   `yaml:"max"`
	Default *string  `yaml:"default"`
}

type sudoOptionCheck struct{ a sudoOptionArgs }

func (sudoOptionTemplate) Name() string { return "sudo_option" }

func (sudoOptionTemplate) New(n *yaml.Node) (check.Check, error) {
	var a sudoOptionArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if a.Option == "" {
		return nil, check.ArgErrorf(n, "option is required")
	}
	if a.Enabled == nil && !a.Present && a.Allowed == nil && a.Min == nil && a.Max == nil {
		return nil, check.ArgErrorf(n, "set one of enabled, present, allowed, min, max")
	}
	if a.Enabled != nil && (a.Present || a.Allowed != nil || a.Min != nil || a.Max != nil) {
		return nil, check.ArgErrorf(n, "enabled checks a flag and cannot be combined with value constraints")
	}
	return &sudoOptionCheck{a}, nil
}

func (c *sudoOptionCheck) Fixable() bool { return true }

func (c *sudoOptionCheck) expected() string {
	if c.a.Enabled != nil {
		if *c.a.Enabled {
			return "Defaults " + c.a.Option
		}
		return "Defaults !" + c.a.Option
	}
	vs := valueSpec{Present: c.a.Present, Allowed: c.a.Allowed, Min: c.a.Min, Max: c.a.Max}
	return "Defaults " + vs.expected(c.a.Option)
}

func (c *sudoOptionCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	p, err := sudoers.Get(f)
	if err != nil {
		return check.FromErr("read sudoers", err)
	}
	if !p.Present {
		return check.NotApplicable("sudo is not installed (no /etc/sudoers)")
	}
	exp := c.expected()
	d := p.Effective(c.a.Option)
	ev := result.Evidence{Expected: exp, File: "/etc/sudoers"}
	var ok bool
	switch {
	case d == nil && c.a.Default == nil:
		ev.Observed = c.a.Option + " not set"
		ok = false
	case d == nil:
		ev.Observed = fmt.Sprintf("%s not set (default %s)", c.a.Option, *c.a.Default)
		ok = c.judge(*c.a.Default, *c.a.Default != "false" && *c.a.Default != "")
	default:
		ev.File, ev.Line = d.File, d.Line
		switch {
		case d.Negated:
			ev.Observed = "Defaults !" + d.Name
		case d.Op != "":
			ev.Observed = "Defaults " + d.Name + d.Op + d.Value
		default:
			ev.Observed = "Defaults " + d.Name
		}
		if d.Binding != "" {
			ev.Observed = strings.Replace(ev.Observed, "Defaults", "Defaults"+d.Binding, 1)
		}
		val := d.Value
		if d.Negated {
			val = ""
		} else if d.Op == "" {
			val = "true"
		}
		ok = c.judge(val, !d.Negated)
	}
	if ok {
		return check.Pass(ev)
	}
	return check.Fail(ev)
}

// judge evaluates a value; on is the flag state.
func (c *sudoOptionCheck) judge(val string, on bool) bool {
	if c.a.Enabled != nil {
		return on == *c.a.Enabled
	}
	if val == "false" {
		val = ""
	}
	if c.a.Present && val == "" {
		return false
	}
	if c.a.Allowed != nil && !containsFold(c.a.Allowed, val) {
		return false
	}
	if c.a.Min != nil || c.a.Max != nil {
		x, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return false
		}
		if c.a.Min != nil && x < float64(*c.a.Min) || c.a.Max != nil && x > float64(*c.a.Max) {
			return false
		}
	}
	return true
}

// sudoRuleTemplate checks the user specifications of the sudoers policy:
//
//	sudo_rule: {forbid: nopasswd}                       no NOPASSWD tag
//	sudo_rule: {forbid: no_authenticate}                no "Defaults !authenticate"
//	sudo_rule: {forbid: all_commands, allow: [root, "%sudo"]}
//	                                                    only allow may run ALL as root
//
// allow exempts users, %groups or aliases (as written in sudoers).
type sudoRuleTemplate struct{}

type sudoRuleArgs struct {
	Forbid string   `yaml:"forbid"`
	Allow  []string `yaml:"allow"`
}

type sudoRuleCheck struct{ a sudoRuleArgs }

func (sudoRuleTemplate) Name() string { return "sudo_rule" }

func (sudoRuleTemplate) New(n *yaml.Node) (check.Check, error) {
	var a sudoRuleArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	switch a.Forbid {
	case "nopasswd", "no_authenticate", "all_commands":
	default:
		return nil, check.ArgErrorf(n, "forbid must be nopasswd, no_authenticate or all_commands")
	}
	return &sudoRuleCheck{a}, nil
}

func (c *sudoRuleCheck) Fixable() bool { return c.a.Forbid != "all_commands" }

func (c *sudoRuleCheck) allowed(users []string) bool {
	for _, u := range users {
		if !slices.Contains(c.a.Allow, u) {
			return false
		}
	}
	return true
}

func (c *sudoRuleCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	p, err := sudoers.Get(f)
	if err != nil {
		return check.FromErr("read sudoers", err)
	}
	if !p.Present {
		return check.NotApplicable("sudo is not installed (no /etc/sudoers)")
	}
	var bad []result.Evidence
	var exp string
	switch c.a.Forbid {
	case "no_authenticate":
		exp = "no Defaults !authenticate"
		for _, d := range p.Defaults {
			if d.Name == "authenticate" && d.Negated {
				bad = append(bad, result.Evidence{Expected: exp, Observed: "Defaults" + d.Binding + " !authenticate", File: d.File, Line: d.Line})
			}
		}
	case "nopasswd":
		exp = "no NOPASSWD rules"
		if len(c.a.Allow) > 0 {
			exp += " except for " + orList(c.a.Allow)
		}
		for _, s := range p.Specs {
			if s.HasTag("NOPASSWD") && !c.allowed(s.Users) {
				bad = append(bad, result.Evidence{Expected: exp, Observed: specString(&s), File: s.File, Line: s.Line})
			}
		}
	case "all_commands":
		exp = "only " + orList(c.a.Allow) + " may run ALL commands"
		for _, s := range p.Specs {
			if slices.Contains(s.Commands, "ALL") && !c.allowed(s.Users) {
				bad = append(bad, result.Evidence{Expected: exp, Observed: specString(&s), File: s.File, Line: s.Line})
			}
		}
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	return check.Pass(result.Evidence{Expected: exp, Observed: fmt.Sprintf("%d user specifications in %d files, none matching", len(p.Specs), len(p.Files)), File: "/etc/sudoers"})
}

func specString(s *sudoers.Spec) string {
	var b strings.Builder
	b.WriteString(strings.Join(s.Users, ","))
	b.WriteString(" " + strings.Join(s.Hosts, ",") + "=")
	if s.RunAs != "" {
		b.WriteString("(" + s.RunAs + ") ")
	}
	for _, t := range s.Tags {
		b.WriteString(t + ": ")
	}
	b.WriteString(strings.Join(s.Commands, ", "))
	return b.String()
}
