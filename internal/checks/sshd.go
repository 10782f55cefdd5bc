package checks

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/collect/sshd"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
)

// sshdOptionTemplate checks one keyword of the effective OpenSSH server
// configuration:
//
//	sshd_option: {option: PermitRootLogin, allowed: ["no"]}
//	sshd_option: {option: MaxAuthTries, max: 4}
//	sshd_option: {option: LoginGraceTime, min: 1, max: 1m}
//	sshd_option: {option: Banner, forbidden: [none], missing_ok: false}
//
// Values compare case-insensitively; min and max accept sshd time values
// ("2m" is 120) and for MaxStartups apply to its first ("start") field.
// Match blocks that set the option to a non-compliant value fail the check
// unless match_blocks is "ignore".
type sshdOptionTemplate struct{}

type sshdOptionArgs struct {
	Option    string   `yaml:"option"`
	Allowed   []string `yaml:"allowed"`
	Forbidden []string `yaml:"forbidden"`
	Min       string   `yaml:"min"`
	Max       string   `yaml:"max"`
	// MissingOK passes when the option is unset and sshd has no known
	// default for it.
	MissingOK   bool   `yaml:"missing_ok"`
	MatchBlocks string `yaml:"match_blocks"` // check (default) or ignore
}

type sshdOptionCheck struct {
	a                sshdOptionArgs
	min, max         int64
	hasMin, hasMax   bool
	allowed, forbids map[string]bool
}

func (sshdOptionTemplate) Name() string { return "sshd_option" }

func (sshdOptionTemplate) New(n *yaml.Node) (check.Check, error) {
	var a sshdOptionArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if a.Option == "" {
		return nil, check.ArgErrorf(n, "option is required")
	}
	if !sshd.Known(a.Option) {
		return nil, check.ArgErrorf(n, "option %q is not an sshd_config keyword", a.Option)
	}
	a.Option = sshd.Canonical(a.Option)
	c := &sshdOptionCheck{a: a, allowed: lowerSet(a.Allowed), forbids: lowerSet(a.Forbidden)}
	var err error
	if a.Min != "" {
		if c.min, err = sshd.ParseTime(a.Min); err != nil {
			return nil, check.ArgErrorf(n, "min: %v", err)
		}
		c.hasMin = true
	}
	if a.Max != "" {
		if c.max, err = sshd.ParseTime(a.Max); err != nil {
			return nil, check.ArgErrorf(n, "max: %v", err)
		}
		c.hasMax = true
	}
	if a.Allowed == nil && a.Forbidden == nil && !c.hasMin && !c.hasMax {
		return nil, check.ArgErrorf(n, "set allowed, forbidden, min or max")
	}
	switch a.MatchBlocks {
	case "", "check", "ignore":
	default:
		return nil, check.ArgErrorf(n, "match_blocks must be check or ignore")
	}
	return c, nil
}

func lowerSet(v []string) map[string]bool {
	if v == nil {
		return nil
	}
	m := make(map[string]bool, len(v))
	for _, s := range v {
		m[strings.ToLower(strings.Join(strings.Fields(s), " "))] = true
	}
	return m
}

func (c *sshdOptionCheck) Fixable() bool { return true }

func (c *sshdOptionCheck) expected() string {
	var parts []string
	if c.a.Allowed != nil {
		parts = append(parts, "one of "+orList(c.a.Allowed))
	}
	if c.a.Forbidden != nil {
		parts = append(parts, "not "+orList(c.a.Forbidden))
	}
	if c.hasMin {
		parts = append(parts, ">= "+c.a.Min)
	}
	if c.hasMax {
		parts = append(parts, "<= "+c.a.Max)
	}
	return c.a.Option + " " + strings.Join(parts, ", ")
}

// judge returns "" when args comply, else why not.
func (c *sshdOptionCheck) judge(args []string) string {
	val := strings.ToLower(strings.Join(args, " "))
	if c.allowed != nil && !c.allowed[val] {
		return "not an allowed value"
	}
	if c.forbids[val] {
		return "a forbidden value"
	}
	if c.hasMin || c.hasMax {
		s := val
		if c.a.Option == "MaxStartups" {
			s, _, _ = strings.Cut(s, ":")
		}
		n, err := sshd.ParseTime(s)
		if err != nil {
			return "not a number"
		}
		if c.hasMin && n < c.min {
			return "below the minimum"
		}
		if c.hasMax && n > c.max {
			return "above the maximum"
		}
	}
	return ""
}

func (c *sshdOptionCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	cfg, o := sshdConfig(f)
	if o != nil {
		return *o
	}
	v := cfg.Effective(c.a.Option)
	exp := c.expected()
	ev := valueEvidence(cfg, v, exp)
	failed := false
	if !v.Known {
		ev.Observed = c.a.Option + " not set (no known default)"
		if !c.a.MissingOK {
			failed = true
		}
	} else if why := c.judge(v.Args); why != "" {
		failed = true
		ev.Note = join(ev.Note, why)
	}
	evs := []result.Evidence{ev}
	// DisableForwarding yes overrides every forwarding option.
	noFwd := false
	if forwardingOptions[c.a.Option] {
		if d := cfg.Effective("DisableForwarding"); strings.EqualFold(d.String(), "yes") && len(d.Sources) > 0 {
			if failed {
				evs[0].Note = join(evs[0].Note, "overridden by DisableForwarding")
			}
			noFwd, failed = true, false
			evs = append(evs, result.Evidence{Expected: "DisableForwarding yes or " + exp, Observed: "DisableForwarding yes",
				File: d.Sources[0].File, Line: d.Sources[0].Line})
		}
	}
	notForRoot := sshdNotForRoot(f, c.a.Option)
	for _, d := range v.Overrides {
		o := result.Evidence{Expected: exp, Observed: c.a.Option + " " + d.Value(), File: d.File, Line: d.Line,
			Note: fmt.Sprintf("set in %s (%s:%d)", d.Match, d.Match.File, d.Match.Line)}
		if why := c.judge(d.Args); why != "" {
			if notForRoot(d) {
				o.Note += ": " + why + ", but the block never selects root"
			} else if noFwd {
				o.Note += ": " + why + ", but DisableForwarding applies"
			} else if c.a.MatchBlocks != "ignore" {
				failed = true
				o.Note += ": " + why + " for connections this block matches"
			} else {
				o.Note += ": " + why + " (Match blocks ignored by this rule)"
			}
		}
		evs = append(evs, o)
	}
	evs = append(evs, problemEvidence(cfg)...)
	if failed {
		return check.Fail(evs...)
	}
	return check.Pass(evs...)
}

// sshdNotForRoot returns a test for Match-block directives that cannot
// apply to root's connections (a User or Group criterion root fails):
// PermitRootLogin only matters for root, so such blocks do not weaken
// it. For other options, and without an account database, it is never
// true.
func sshdNotForRoot(f *facts.Store, option string) func(sshd.Directive) bool {
	db, err := accounts.Get(f)
	if option != "PermitRootLogin" || err != nil {
		return func(sshd.Directive) bool { return false }
	}
	root := sshd.ConnFor(db, "root", "", "", "", 0)
	return func(d sshd.Directive) bool { return !d.MaySelectUser(root) }
}

// forwardingOptions are the options DisableForwarding switches off.
var forwardingOptions = map[string]bool{
	"X11Forwarding": true, "AllowTcpForwarding": true, "AllowAgentForwarding": true, "AllowStreamLocalForwarding": true,
}

func valueEvidence(cfg *sshd.Config, v sshd.Value, exp string) result.Evidence {
	ev := result.Evidence{Expected: exp, Observed: v.Keyword + " " + v.String()}
	switch {
	case v.Default:
		ev.Observed += " (default)"
		ev.Note = "not set; OpenSSH " + cfg.Version.String() + " compiled-in default"
		if !cfg.Present {
			ev.Note = "no /" + sshd.MainConfig + "; " + ev.Note
		}
	case len(v.Sources) > 0:
		ev.File, ev.Line = v.Sources[0].File, v.Sources[0].Line
		if len(v.Sources) > 1 {
			var more []string
			for _, s := range v.Sources[1:] {
				more = append(more, s.File+":"+strconv.Itoa(s.Line))
			}
			ev.Note = "also set at " + strings.Join(more, ", ")
		}
	}
	return ev
}

func problemEvidence(cfg *sshd.Config) []result.Evidence {
	var out []result.Evidence
	for i, p := range cfg.Problems {
		if i == 5 {
			out = append(out, result.Evidence{Observed: fmt.Sprintf("%d more configuration problems", len(cfg.Problems)-i)})
			break
		}
		out = append(out, result.Evidence{Observed: p, Note: "sshd rejects this configuration line"})
	}
	return out
}

// sshdCryptoTemplate checks an effective algorithm list (after the +, -
// and ^ modifiers are applied to the version's defaults) for weak entries:
//
//	sshd_crypto: {option: Ciphers, forbidden: ["*-cbc", "3des-*"]}
type sshdCryptoTemplate struct{}

type sshdCryptoArgs struct {
	Option    string   `yaml:"option"`
	Forbidden []string `yaml:"forbidden"`
}

type sshdCryptoCheck struct{ a sshdCryptoArgs }

func (sshdCryptoTemplate) Name() string { return "sshd_crypto" }

func (sshdCryptoTemplate) New(n *yaml.Node) (check.Check, error) {
	var a sshdCryptoArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	k := sshd.Canonical(a.Option)
	ok := false
	for _, c := range sshd.CryptoKeywords {
		ok = ok || c == k
	}
	if !ok {
		return nil, check.ArgErrorf(n, "option must be one of %s", strings.Join(sshd.CryptoKeywords, ", "))
	}
	if len(a.Forbidden) == 0 {
		return nil, check.ArgErrorf(n, "forbidden: at least one algorithm pattern is required")
	}
	a.Option = k
	return &sshdCryptoCheck{a}, nil
}

func (c *sshdCryptoCheck) Fixable() bool { return true }

func (c *sshdCryptoCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	cfg, o := sshdConfig(f)
	if o != nil {
		return *o
	}
	list, v := cfg.Algorithms(c.a.Option)
	exp := c.a.Option + " without " + orList(c.a.Forbidden)
	ev := valueEvidence(cfg, v, exp)
	var bad []string
	for _, alg := range list {
		for _, p := range c.a.Forbidden {
			if sshd.MatchPattern(p, alg) {
				bad = append(bad, alg)
				break
			}
		}
	}
	if len(v.Sources) > 0 && v.Sources[0].Value() != v.String() {
		ev.Note = join(ev.Note, "configured as "+v.Sources[0].Value())
	}
	evs := append([]result.Evidence{ev}, problemEvidence(cfg)...)
	if len(bad) > 0 {
		evs[0].Note = join(evs[0].Note, "weak: "+strings.Join(bad, ","))
		return check.Fail(evs...)
	}
	return check.Pass(evs...)
}
