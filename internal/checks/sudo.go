package checks

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/accounts"
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
	// The setting sudo applies for a user named in no list, as root, with
	// no command-bound entry: the global view, reported when all is well.
	main := p.Setting(c.a.Option, sudoers.Principal{User: "\x00", UID: -1, Host: p.Hostname}, sudoers.Principal{User: "root"}, "")
	ev, ok := c.entryEvidence(main)
	var bad []result.Evidence
	if !ok {
		bad = append(bad, ev)
	}
	// Scoped Defaults (user, host, runas, command) give other users or
	// commands other values: each distinct one must pass too.
	for _, d := range p.Decisions(c.a.Option, sudoPrincipals(f)) {
		if d.Entry == main {
			continue
		}
		if e, ok := c.entryEvidence(d.Entry); !ok {
			e.Observed += " (in effect for " + d.Who + ")"
			bad = append(bad, e)
		}
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	return check.Pass(ev)
}

// entryEvidence judges the deciding entry d (nil: sudo's built-in value).
func (c *sudoOptionCheck) entryEvidence(d *sudoers.Default) (result.Evidence, bool) {
	ev := result.Evidence{Expected: c.expected(), File: "/etc/sudoers"}
	switch {
	case d == nil && c.a.Default == nil:
		ev.Observed = c.a.Option + " not set"
		return ev, false
	case d == nil:
		ev.Observed = fmt.Sprintf("%s not set (default %s)", c.a.Option, *c.a.Default)
		return ev, c.judge(*c.a.Default, *c.a.Default != "false" && *c.a.Default != "")
	}
	ev.File, ev.Line = d.File, d.Line
	ev.Observed = d.String()
	val := d.Value
	if d.Negated {
		val = ""
	} else if d.Op == "" {
		val = "true"
	}
	return ev, c.judge(val, !d.Negated)
}

// sudoPrincipals lists the target's users with their groups (primary and
// supplementary), whom scoped Defaults and User_Lists are matched against.
// Without a readable account database only "a user named in no list" is
// considered.
func sudoPrincipals(f *facts.Store) []sudoers.Principal {
	db, err := accounts.Get(f)
	if err != nil {
		return nil
	}
	groups := map[string][]string{}
	for _, g := range db.Groups {
		for _, m := range g.Members {
			groups[m] = append(groups[m], g.Name)
		}
	}
	out := make([]sudoers.Principal, 0, len(db.Users))
	for _, u := range db.Users {
		gs := append([]string{db.GroupName(u.GID)}, groups[u.Name]...)
		out = append(out, sudoers.Principal{User: u.Name, UID: int(u.UID), Groups: gs})
	}
	return out
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
//	sudo_rule: {forbid: command_negation}               no "!cmnd" in a grant
//	sudo_rule: {forbid: all_users}                      no "ALL ALL=(ALL) ALL"
//
// allow exempts users, %groups or aliases (as written in sudoers, or what
// a User_Alias expands to). The policy is read as sudo reads it: tags
// carry over to later commands, a Cmnd_Alias counts as what it expands to
// (one that is ALL grants ALL; "!ALIAS" negates each member), and a
// "Defaults !authenticate" counts only where it is still in effect — a
// later "Defaults authenticate" for the same users undoes it, a
// "Defaults:user", "@host", ">runas" or "!cmnd" one applies to those.
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
	case "nopasswd", "no_authenticate", "all_commands", "command_negation", "all_users":
	default:
		return nil, check.ArgErrorf(n, "forbid must be nopasswd, no_authenticate, all_commands, command_negation or all_users")
	}
	return &sudoRuleCheck{a}, nil
}

func (c *sudoRuleCheck) Fixable() bool {
	return c.a.Forbid == "nopasswd" || c.a.Forbid == "no_authenticate"
}

// allowed reports whether every user the list admits is exempt: as
// written, or once User_Aliases are expanded (negated members only
// narrow the list).
func (c *sudoRuleCheck) allowed(p *sudoers.Policy, users []string) bool {
	all := func(l []string) bool {
		for _, u := range l {
			if !strings.HasPrefix(u, "!") && !slices.Contains(c.a.Allow, u) {
				return false
			}
		}
		return true
	}
	return all(users) || all(p.ExpandAliases("User", users))
}

// granted is what a spec's commands expand to, without the negated ones.
func granted(p *sudoers.Policy, s *sudoers.Spec) (grants, negated []string) {
	for _, c := range p.Expand(s.Commands) {
		if strings.HasPrefix(c, "!") {
			negated = append(negated, c)
		} else {
			grants = append(grants, c)
		}
	}
	return grants, negated
}

// specEvidence renders a spec, naming what its aliases expand to.
func specEvidence(p *sudoers.Policy, s *sudoers.Spec, exp string) result.Evidence {
	e := result.Evidence{Expected: exp, Observed: specString(s), File: s.File, Line: s.Line}
	if x := p.Expand(s.Commands); !slices.Equal(x, s.Commands) {
		e.Note = strings.Join(s.Commands, ", ") + " expands to " + strings.Join(x, ", ")
	}
	return e
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
		for _, d := range p.Decisions("authenticate", sudoPrincipals(f)) {
			if d.Entry != nil && (d.Entry.Negated || d.Entry.Op != "") {
				bad = append(bad, result.Evidence{Expected: exp, Observed: d.Entry.String() + " (in effect for " + d.Who + ")", File: d.Entry.File, Line: d.Entry.Line})
			}
		}
	case "nopasswd":
		exp = "no NOPASSWD rules"
		if len(c.a.Allow) > 0 {
			exp += " except for " + orList(c.a.Allow)
		}
		for i := range p.Specs {
			s := &p.Specs[i]
			// A NOPASSWD tag on a negated command grants nothing.
			if g, _ := granted(p, s); s.HasTag("NOPASSWD") && len(g) > 0 && !c.allowed(p, s.Users) {
				bad = append(bad, specEvidence(p, s, exp))
			}
		}
	case "all_commands":
		exp = "only " + orList(c.a.Allow) + " may run ALL commands"
		for i := range p.Specs {
			s := &p.Specs[i]
			if g, _ := granted(p, s); slices.Contains(g, "ALL") && !c.allowed(p, s.Users) {
				bad = append(bad, specEvidence(p, s, exp))
			}
		}
	case "command_negation":
		// sudoers(5): a negated command is easily circumvented (copy or
		// rename the binary), so grants name what is allowed.
		exp = "no command allowed by exclusion (!cmnd)"
		for i := range p.Specs {
			s := &p.Specs[i]
			if _, neg := granted(p, s); len(neg) > 0 {
				bad = append(bad, specEvidence(p, s, exp))
			}
		}
	case "all_users":
		exp = "no rule lets every user run every command as root"
		for i := range p.Specs {
			s := &p.Specs[i]
			users := p.ExpandAliases("User", s.Users)
			runas := p.ExpandAliases("Runas", sudoers.RunasUsers(s.RunAs))
			asRoot := strings.TrimSpace(s.RunAs) == "" || slices.Contains(runas, "ALL") || slices.Contains(runas, "root")
			if g, _ := granted(p, s); slices.Contains(users, "ALL") && slices.Contains(g, "ALL") && asRoot {
				bad = append(bad, specEvidence(p, s, exp))
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
