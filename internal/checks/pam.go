package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/kvconf"
	"github.com/cradle-cra/cradle/internal/collect/pam"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
)

// pamOptionTemplate checks a module in the effective PAM stacks of
// services (includes and substacks resolved):
//
//	pam_option: {services: [login, sshd], type: auth, module: pam_unix.so, args: {nullok: absent}}
//	pam_option: {services: [passwd], type: password, module: pam_pwquality.so, present: true,
//	             args: {minlen: ">=14"}, defaults: {minlen: "8"},
//	             config: {syntax: pwquality, paths: [/etc/security/pwquality.conf]}}
//	pam_option: {services: [passwd], type: password, module: pam_unix.so, any_flag: [yescrypt, sha512]}
//
// present: true requires the module in every existing service's stack,
// false forbids it, unset only constrains lines that exist. args maps an
// argument to a constraint that every line of the module must meet:
// "present", "absent", ">=N", "<=N", ">N", "<N", "=v", "!=v", or
// alternatives joined by "|" ("0|>=600"), each optionally a conjunction
// joined by "&" (">0&<=5"). An argument missing from the
// line is taken from config (the module's own configuration file, module
// arguments override it) and then defaults (the module's built-in values).
// Services without a PAM file are skipped; if none exists the result is
// not_applicable.
type pamOptionTemplate struct{}

type pamOptionArgs struct {
	Services []string          `yaml:"services"`
	Type     string            `yaml:"type"`
	Module   string            `yaml:"module"`
	Present  *bool             `yaml:"present"`
	Args     map[string]string `yaml:"args"`
	AnyFlag  []string          `yaml:"any_flag"`
	Config   *pamConfigArgs    `yaml:"config"`
	Defaults map[string]string `yaml:"defaults"`
	// Flow is what a required module's line must be in the control
	// flow: "enforced" (default; every successful run passes it and it
	// succeeds) or "runs" (every successful run calls it, for modules
	// that set something up rather than decide, like pam_faildelay).
	Flow string `yaml:"flow"`
	// Manual marks a rule without a native fix: adding the module would
	// change who can log in in ways cradle cannot judge.
	Manual bool `yaml:"manual"`
}

type pamConfigArgs struct {
	Syntax string   `yaml:"syntax"`
	Paths  []string `yaml:"paths"`
}

type pamOptionCheck struct {
	a    pamOptionArgs
	cons map[string][]constraint
	keys []string
	src  *kvconf.Source
}

// constraint is one alternative of an argument constraint; all of and
// must hold too.
type constraint struct {
	and []constraint
	op  string // present, absent, >=, <=, >, <, =, !=
	val string
	num int64
}

func parseConstraint(s string) ([]constraint, error) {
	var out []constraint
	for _, alt := range strings.Split(s, "|") {
		parts := strings.Split(alt, "&")
		var conj []constraint
		for _, alt := range parts {
			c, err := parseAtom(s, strings.TrimSpace(alt))
			if err != nil {
				return nil, err
			}
			conj = append(conj, c)
		}
		c := conj[0]
		c.and = conj[1:]
		out = append(out, c)
	}
	return out, nil
}

func parseAtom(s, alt string) (constraint, error) {
	var c constraint
	if alt == "present" || alt == "absent" {
		c.op = alt
		return c, nil
	}
	for _, op := range []string{">=", "<=", "!=", ">", "<", "="} {
		if strings.HasPrefix(alt, op) {
			c.op, c.val = op, strings.TrimSpace(alt[len(op):])
			break
		}
	}
	if c.op == "" {
		c.op, c.val = "=", alt
	}
	if strings.ContainsAny(c.op, "<>") {
		n, err := strconv.ParseInt(c.val, 10, 64)
		if err != nil {
			return c, fmt.Errorf("constraint %q: %q is not a number", s, c.val)
		}
		c.num = n
	}
	return c, nil
}

// sat reports whether (value, set) meets one of cs.
func sat(cs []constraint, value string, set bool) bool {
	for _, c := range cs {
		if c.atom(value, set) && (len(c.and) == 0 || allSat(c.and, value, set)) {
			return true
		}
	}
	return false
}

func allSat(cs []constraint, value string, set bool) bool {
	for _, c := range cs {
		if !c.atom(value, set) {
			return false
		}
	}
	return true
}

func (c constraint) atom(value string, set bool) bool {
	switch c.op {
	case "present":
		return set
	case "absent":
		return !set
	case "=":
		return set && value == c.val
	case "!=":
		return !set || value != c.val
	}
	if !set {
		return false
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return false
	}
	switch c.op {
	case ">=":
		return n >= c.num
	case "<=":
		return n <= c.num
	case ">":
		return n > c.num
	}
	return n < c.num
}

func (pamOptionTemplate) Name() string { return "pam_option" }

func (pamOptionTemplate) New(n *yaml.Node) (check.Check, error) {
	var a pamOptionArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if len(a.Services) == 0 {
		return nil, check.ArgErrorf(n, "services: at least one PAM service is required")
	}
	switch a.Type {
	case "auth", "account", "password", "session":
	default:
		return nil, check.ArgErrorf(n, "type must be auth, account, password or session")
	}
	if a.Module == "" {
		return nil, check.ArgErrorf(n, "module is required")
	}
	if a.Present != nil && !*a.Present && (len(a.Args) > 0 || len(a.AnyFlag) > 0) {
		return nil, check.ArgErrorf(n, "a forbidden module (present: false) takes no args or any_flag")
	}
	if a.Present == nil && len(a.Args) == 0 && len(a.AnyFlag) == 0 {
		return nil, check.ArgErrorf(n, "set present, args or any_flag")
	}
	switch a.Flow {
	case "", "enforced", "runs":
	default:
		return nil, check.ArgErrorf(n, "flow must be enforced or runs")
	}
	c := &pamOptionCheck{a: a, cons: map[string][]constraint{}}
	for k, v := range a.Args {
		cs, err := parseConstraint(v)
		if err != nil {
			return nil, check.ArgErrorf(n, "args.%s: %v", k, err)
		}
		c.cons[k] = cs
		c.keys = append(c.keys, k)
	}
	slices.Sort(c.keys)
	if a.Config != nil {
		syn, err := kvconf.ParseSyntax(a.Config.Syntax)
		if err != nil || syn == kvconf.Systemd {
			return nil, check.ArgErrorf(n, "config.syntax must be space, equals or pwquality")
		}
		if len(a.Config.Paths) == 0 {
			return nil, check.ArgErrorf(n, "config.paths is required")
		}
		c.src = &kvconf.Source{Syntax: syn, Paths: a.Config.Paths}
	}
	return c, nil
}

func (c *pamOptionCheck) Fixable() bool { return !c.a.Manual }

func (c *pamOptionCheck) expected() string {
	var parts []string
	if c.a.Present != nil && !*c.a.Present {
		return fmt.Sprintf("no %s in %s stack", c.a.Module, c.a.Type)
	}
	if c.a.Present != nil {
		parts = append(parts, fmt.Sprintf("%s in %s stack", c.a.Module, c.a.Type))
	} else {
		parts = append(parts, fmt.Sprintf("%s %s lines (if any)", c.a.Type, c.a.Module))
	}
	for _, k := range c.keys {
		parts = append(parts, k+" "+c.a.Args[k])
	}
	if len(c.a.AnyFlag) > 0 {
		parts = append(parts, "with "+orList(c.a.AnyFlag))
	}
	return strings.Join(parts, ", ")
}

func (c *pamOptionCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	cfg, err := pam.Get(f)
	if err != nil {
		return check.FromErr("read PAM configuration", err)
	}
	if !cfg.Present {
		return check.NotApplicable("no PAM configuration (/etc/pam.d)")
	}
	var modCfg *kvconf.Config
	if c.src != nil {
		if modCfg, err = kvconf.Get(f, *c.src); err != nil {
			return check.FromErr("read module configuration", err)
		}
	}
	exp := c.expected()
	var good, bad []result.Evidence
	seen := 0
	for _, svc := range c.a.Services {
		nodes, err := cfg.Flow(svc, c.a.Type)
		if errors.Is(err, pam.ErrNoService) {
			continue
		}
		if err != nil {
			return check.FromErr("PAM service "+svc, err)
		}
		seen++
		found, present, stack := false, false, pamEntries(nodes)
		var skipped []result.Evidence
		for i := range nodes {
			e := &nodes[i].Entry
			if nodes[i].Substack || e.ModuleName() != c.a.Module && e.Module != c.a.Module {
				continue
			}
			present = true
			v, err := pam.Judge(nodes, i)
			if err != nil {
				return check.FromErr("PAM service "+svc, err)
			}
			obs, ok := c.judge(e, modCfg)
			ev := result.Evidence{Expected: exp, Observed: svc + ": " + obs, File: e.File, Line: e.Line}
			if len(e.Via) > 0 {
				ev.Note = "included via " + strings.Join(e.Via, " > ")
			}
			if modCfg != nil && modCfg.Stopped != nil {
				ev.Note = strings.TrimPrefix(ev.Note+"; "+stoppedNote(modCfg), "; ")
			}
			// A required module counts only where every successful run
			// passes through it; a forbidden option or module matters
			// wherever some run reaches it.
			counts, why := c.counts(v)
			if !counts {
				ev.Observed += " (not enforced: " + why + ")"
				skipped = append(skipped, ev)
				continue
			}
			found = true
			if ok && (c.a.Present == nil || *c.a.Present) {
				good = append(good, ev)
			} else {
				bad = append(bad, ev)
			}
		}
		if found && c.faillockAuth() {
			ok, err := faillockResets(cfg, svc, stack)
			if err != nil {
				return check.FromErr("PAM service "+svc, err)
			}
			if !ok {
				bad = append(bad, result.Evidence{Expected: exp + ", and pam_faillock in the account stack",
					Observed: svc + ": no pam_faillock in the account stack: a successful login does not reset the failure count", File: cfg.Paths[svc]})
			}
		}
		if !found {
			ev := result.Evidence{Expected: exp, Observed: fmt.Sprintf("%s: no %s in the %s stack", svc, c.a.Module, c.a.Type), File: cfg.Paths[svc]}
			switch {
			case present && c.required():
				ev.Observed = fmt.Sprintf("%s: %s is in the %s stack but no successful run needs it", svc, c.a.Module, c.a.Type)
			case present:
				ev.Observed = fmt.Sprintf("%s: %s is in the %s stack but no run reaches it", svc, c.a.Module, c.a.Type)
			}
			if c.required() {
				bad = append(append(bad, ev), skipped...)
			} else {
				good = append(append(good, ev), skipped...)
			}
		}
	}
	if seen == 0 {
		return check.NotApplicable("no PAM configuration for %s", orList(c.a.Services))
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	return check.Pass(good...)
}

// judge evaluates one module line, returning a description for evidence.
func (c *pamOptionCheck) judge(e *pam.Entry, modCfg *kvconf.Config) (string, bool) {
	desc := []string{e.Type + " " + e.Control + " " + e.ModuleName()}
	ok := true
	for _, k := range c.keys {
		v, set := e.Arg(k)
		from := ""
		if !set && modCfg != nil {
			if ce := modCfg.Lookup("", k, false, false); ce != nil {
				v, set, from = ce.Value, true, fmt.Sprintf(" (from %s:%d)", ce.File, ce.Line)
			}
		}
		if !set {
			if d, has := c.a.Defaults[k]; has {
				v, set, from = d, true, " (default)"
			}
		}
		switch {
		case !set:
			desc = append(desc, "without "+k)
		case v == "":
			desc = append(desc, k+from)
		default:
			desc = append(desc, k+"="+v+from)
		}
		if !sat(c.cons[k], v, set) {
			ok = false
		}
	}
	if len(c.a.AnyFlag) > 0 {
		has := ""
		for _, fl := range c.a.AnyFlag {
			if _, set := e.Arg(fl); set {
				has = fl
				break
			}
		}
		if has == "" {
			ok = false
			desc = append(desc, "none of "+strings.Join(c.a.AnyFlag, ", "))
		} else {
			desc = append(desc, has)
		}
	}
	return strings.Join(desc, " "), ok
}

// counts reports whether a line of the module counts, given its place in
// the control flow, and if not why.
func (c *pamOptionCheck) counts(v pam.Verdict) (bool, string) {
	switch {
	case !c.required():
		return v.Reachable, v.Why
	case c.a.Flow == "runs":
		return v.Runs, v.RunsWhy
	}
	return v.Enforced, v.Why
}

// required reports whether the check requires the module (present: true).
func (c *pamOptionCheck) required() bool { return c.a.Present != nil && *c.a.Present }

// pamEntries are the module lines of a flow, without substack placeholders.
func pamEntries(nodes []pam.Node) []pam.Entry {
	out := make([]pam.Entry, 0, len(nodes))
	for _, n := range nodes {
		if !n.Substack {
			out = append(out, n.Entry)
		}
	}
	return out
}

// faillockAuth reports whether the check requires pam_faillock in the auth
// stack, which then also needs a step that resets the count on success.
func (c *pamOptionCheck) faillockAuth() bool {
	return c.a.Module == "pam_faillock.so" && c.a.Type == "auth" && c.a.Present != nil && *c.a.Present
}

// faillockResets reports whether a successful login through svc resets
// pam_faillock's count: pam_faillock in the account stack, or the older
// "authsucc" call in the auth stack. A service without account stack has
// nothing to judge.
func faillockResets(cfg *pam.Config, svc string, auth []pam.Entry) (bool, error) {
	for i := range auth {
		if _, ok := auth[i].Arg("authsucc"); ok && auth[i].ModuleName() == "pam_faillock.so" {
			return true, nil
		}
	}
	acct, err := cfg.Stack(svc, "account")
	if errors.Is(err, pam.ErrNoService) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return len(acct) == 0 || slices.ContainsFunc(acct, func(e pam.Entry) bool { return e.ModuleName() == "pam_faillock.so" }), nil
}
