package checks

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/sshd"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
)

// sshdConfig returns the configuration, or the outcome to return when
// there is none to judge.
func sshdConfig(f *facts.Store) (*sshd.Config, *check.Outcome) {
	cfg, err := sshd.Get(f)
	if err != nil {
		o := check.FromErr("reading sshd configuration", err)
		return nil, &o
	}
	if !cfg.Installed {
		o := check.NotApplicable("OpenSSH server is not installed (no %s, no sshd binary)", "/"+sshd.MainConfig)
		return nil, &o
	}
	return cfg, nil
}

// overrideEvidence describes a Match-block directive.
func overrideEvidence(exp string, d sshd.Directive, why string) result.Evidence {
	note := fmt.Sprintf("set in %s (%s:%d)", d.Match, d.Match.File, d.Match.Line)
	if why != "" {
		note += ": " + why + " for connections this block matches"
	}
	return result.Evidence{Expected: exp, Observed: d.Keyword + " " + d.Value(), File: d.File, Line: d.Line, Note: note}
}

// sshdRekeyLimitTemplate checks that session keys are renegotiated after
// a bounded amount of data and time:
//
//	sshd_rekey_limit: {max_data: 1G, max_time: 1h}
//
// RekeyLimit's size and interval are separate options in sshd (servconf.c
// sRekeyLimit): "default" data is the cipher's own limit (up to 2^32
// blocks for AES) and an unset or "none" interval never rekeys on time,
// so both must be stated.
type sshdRekeyLimitTemplate struct{}

type sshdRekeyLimitArgs struct {
	MaxData string `yaml:"max_data"`
	MaxTime string `yaml:"max_time"`
}

type sshdRekeyLimitCheck struct {
	a                sshdRekeyLimitArgs
	maxData, maxTime int64
}

func (sshdRekeyLimitTemplate) Name() string { return "sshd_rekey_limit" }

func (sshdRekeyLimitTemplate) New(n *yaml.Node) (check.Check, error) {
	var a sshdRekeyLimitArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	c := &sshdRekeyLimitCheck{a: a}
	var err error
	if c.maxData, err = parseSize(a.MaxData); err != nil || c.maxData < 16 {
		return nil, check.ArgErrorf(n, "max_data: want a size such as 1G or 512M (at least 16 bytes)")
	}
	if c.maxTime, err = sshd.ParseTime(a.MaxTime); err != nil || c.maxTime <= 0 {
		return nil, check.ArgErrorf(n, "max_time: want an sshd time such as 1h")
	}
	return c, nil
}

// parseSize reads an sshd size (scan_scaled: K, M, G, T suffixes in
// powers of 1024).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	if s != "" {
		switch strings.ToUpper(s[len(s)-1:]) {
		case "K":
			mult = 1 << 10
		case "M":
			mult = 1 << 20
		case "G":
			mult = 1 << 30
		case "T":
			mult = 1 << 40
		}
		if mult > 1 {
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<22 && mult > 1 {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return n * mult, nil
}

func (c *sshdRekeyLimitCheck) Fixable() bool { return true }

func (c *sshdRekeyLimitCheck) expected() string {
	return "RekeyLimit at most " + c.a.MaxData + " and " + c.a.MaxTime
}

// judge returns "" when the RekeyLimit arguments comply, else why not.
func (c *sshdRekeyLimitCheck) judge(args []string) string {
	if len(args) == 0 || strings.EqualFold(args[0], "default") {
		return "no data limit (the cipher's default)"
	}
	n, err := parseSize(args[0])
	switch {
	case err != nil:
		return "unreadable data limit"
	case n == 0:
		return "no data limit"
	case n > c.maxData:
		return "data limit above " + c.a.MaxData
	}
	if len(args) < 2 || strings.EqualFold(args[1], "none") || strings.EqualFold(args[1], "default") {
		return "no time limit"
	}
	t, err := sshd.ParseTime(args[1])
	switch {
	case err != nil:
		return "unreadable time limit"
	case t == 0:
		return "no time limit"
	case t > c.maxTime:
		return "time limit above " + c.a.MaxTime
	}
	return ""
}

func (c *sshdRekeyLimitCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	cfg, o := sshdConfig(f)
	if o != nil {
		return *o
	}
	v := cfg.Effective("RekeyLimit")
	ev := valueEvidence(cfg, v, c.expected())
	failed := false
	if why := c.judge(v.Args); why != "" {
		failed = true
		ev.Note = join(ev.Note, why)
	}
	evs := []result.Evidence{ev}
	for _, d := range v.Overrides {
		why := c.judge(d.Args)
		failed = failed || why != ""
		evs = append(evs, overrideEvidence(c.expected(), d, why))
	}
	evs = append(evs, problemEvidence(cfg)...)
	if failed {
		return check.Fail(evs...)
	}
	return check.Pass(evs...)
}

// Remediate states both limits in the managed block and comments out
// global and Match-block RekeyLimit lines that would weaken them.
func (c *sshdRekeyLimitCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	return sshdSetFixed(ctx, ch, "RekeyLimit", c.a.MaxData+" "+c.a.MaxTime, func(d sshd.Directive) bool {
		return d.Match == nil || c.judge(d.Args) != ""
	})
}

// sshdSetFixed sets keyword to value in the managed block and comments out
// the editable lines bad selects (the block's own lines excepted).
func sshdSetFixed(ctx context.Context, ch *remedy.Changes, k, value string, bad func(sshd.Directive) bool) error {
	cfg, err := sshd.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("reading sshd configuration: %w", err)
	}
	if !cfg.Installed {
		return nil
	}
	if err := sshdSetManaged(ch, cfg, k, value); err != nil {
		return err
	}
	if err := sshdCommentOut(ctx, ch, k, bad); err != nil {
		return err
	}
	ch.Effect(sshdEffect(k, value))
	return nil
}

// sshdCommentOut comments out the editable lines of keyword k in the
// planned configuration that bad selects, the managed block excepted.
func sshdCommentOut(ctx context.Context, ch *remedy.Changes, k string, bad func(sshd.Directive) bool) error {
	cfg, err := sshd.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("reading planned sshd configuration: %w", err)
	}
	var g fixGroupLines
	inBlock := sshdInBlock(ch)
	for _, d := range cfg.Directives {
		if d.Keyword == k && !inBlock(d) && sshdEditable(d.File) && bad(d) {
			g.add(d.File, d.Line)
		}
	}
	return g.commentOut(ch, "comment out "+k+" lines that contradict the cradle setting")
}

// sshdLoginRestrictedTemplate checks that sshd limits which accounts may
// log in (AllowUsers, AllowGroups, DenyUsers or DenyGroups):
//
//	sshd_login_restricted: {options: [AllowUsers, AllowGroups]}
//
// A Match block that sets them restricts only the connections it
// selects, so only the value every connection gets counts. There is no
// automatic fix: the list of accounts is the site's decision.
type sshdLoginRestrictedTemplate struct{}

type sshdLoginRestrictedArgs struct {
	Options []string `yaml:"options"`
}

type sshdLoginRestrictedCheck struct{ a sshdLoginRestrictedArgs }

func (sshdLoginRestrictedTemplate) Name() string { return "sshd_login_restricted" }

func (sshdLoginRestrictedTemplate) New(n *yaml.Node) (check.Check, error) {
	var a sshdLoginRestrictedArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if len(a.Options) == 0 {
		return nil, check.ArgErrorf(n, "options: at least one of AllowUsers, AllowGroups, DenyUsers, DenyGroups")
	}
	for i, o := range a.Options {
		switch k := sshd.Canonical(o); k {
		case "AllowUsers", "AllowGroups", "DenyUsers", "DenyGroups":
			a.Options[i] = k
		default:
			return nil, check.ArgErrorf(n, "options: %q is not AllowUsers, AllowGroups, DenyUsers or DenyGroups", o)
		}
	}
	return &sshdLoginRestrictedCheck{a}, nil
}

func (c *sshdLoginRestrictedCheck) Fixable() bool { return false }

func (c *sshdLoginRestrictedCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	cfg, o := sshdConfig(f)
	if o != nil {
		return *o
	}
	exp := "one of " + strings.Join(c.a.Options, ", ") + " set for every connection"
	var evs, partial []result.Evidence
	for _, k := range c.a.Options {
		v := cfg.Effective(k)
		if len(v.Sources) > 0 {
			evs = append(evs, valueEvidence(cfg, v, exp))
		}
		for _, d := range v.Overrides {
			partial = append(partial, overrideEvidence(exp, d, "restricts only the connections this block matches"))
		}
	}
	if len(evs) > 0 {
		return check.Pass(append(evs, problemEvidence(cfg)...)...)
	}
	evs = append([]result.Evidence{{Expected: exp, Observed: "none of " + strings.Join(c.a.Options, ", ") + " is set: every account with a password or key may log in"}}, partial...)
	return check.Fail(append(evs, problemEvidence(cfg)...)...)
}

// sshdAuthMethodsTemplate checks that no connection can authenticate
// with a password alone:
//
//	sshd_auth_methods: {}
//
// With AuthenticationMethods "any" (the default) a single enabled
// password or keyboard-interactive method suffices; an explicit list
// passes when each of its comma-separated chains includes a method other
// than those (publickey, hostbased, gssapi-with-mic), so a password
// counts only as a second factor. Match blocks that set the lists or
// enable passwords are judged too.
type sshdAuthMethodsTemplate struct{}

type sshdAuthMethodsCheck struct{}

func (sshdAuthMethodsTemplate) Name() string { return "sshd_auth_methods" }

func (sshdAuthMethodsTemplate) New(n *yaml.Node) (check.Check, error) {
	return withoutArgs(n, sshdAuthMethodsCheck{})
}

// withoutArgs returns c for a template that takes no arguments ({}).
func withoutArgs(n *yaml.Node, c check.Check) (check.Check, error) {
	var a struct{}
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	return c, nil
}

func (sshdAuthMethodsCheck) Fixable() bool { return false }

// passwordOnly is a method that proves only knowledge of a secret.
func passwordOnly(m string) bool {
	m, _, _ = strings.Cut(m, ":")
	return m == "password" || m == "keyboard-interactive"
}

// weakChain returns the first chain of lists that a password alone
// satisfies, or "".
func weakChain(lists []string) string {
	for _, l := range lists {
		weak := true
		for _, m := range strings.Split(l, ",") {
			weak = weak && passwordOnly(m)
		}
		if weak {
			return l
		}
	}
	return ""
}

func (sshdAuthMethodsCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	cfg, o := sshdConfig(f)
	if o != nil {
		return *o
	}
	const exp = "AuthenticationMethods whose every chain needs a key (or PasswordAuthentication and KbdInteractiveAuthentication no)"
	v := cfg.Effective("AuthenticationMethods")
	ev := valueEvidence(cfg, v, exp)
	// With "any", one enabled method logs in alone: the password ones
	// decide, globally or in a Match block.
	var pwEvs []result.Evidence
	for _, k := range []string{"PasswordAuthentication", "KbdInteractiveAuthentication"} {
		pv := cfg.Effective(k)
		if strings.EqualFold(pv.String(), "yes") {
			pwEvs = append(pwEvs, valueEvidence(cfg, pv, k+" no"))
		}
		for _, d := range pv.Overrides {
			if strings.EqualFold(d.Value(), "yes") {
				pwEvs = append(pwEvs, overrideEvidence(k+" no", d, "a password alone logs in"))
			}
		}
	}
	anyWeak := func(args []string) string {
		if len(args) == 0 || len(args) == 1 && args[0] == "any" {
			if len(pwEvs) > 0 {
				return "any single enabled method logs in, and a password method is enabled"
			}
			return ""
		}
		if w := weakChain(args); w != "" {
			return "the chain " + w + " needs only a password"
		}
		return ""
	}
	failed := false
	if why := anyWeak(v.Args); why != "" {
		failed = true
		ev.Note = join(ev.Note, why)
	}
	evs := []result.Evidence{ev}
	for _, d := range v.Overrides {
		why := anyWeak(d.Args)
		failed = failed || why != ""
		evs = append(evs, overrideEvidence(exp, d, why))
	}
	if failed {
		evs = append(evs, pwEvs...)
	}
	evs = append(evs, problemEvidence(cfg)...)
	if failed {
		return check.Fail(evs...)
	}
	return check.Pass(evs...)
}

// sshdValidTemplate checks that sshd would accept its configuration:
//
//	sshd_valid: {}
//
// A configuration sshd refuses (an unknown keyword, a bad Match
// condition, a global-only keyword inside a Match block, unsatisfiable
// AuthenticationMethods) leaves the running daemon on its old settings
// and makes the next restart fail, so remote access is lost with it.
type sshdValidTemplate struct{}

type sshdValidCheck struct{}

func (sshdValidTemplate) Name() string { return "sshd_valid" }

func (sshdValidTemplate) New(n *yaml.Node) (check.Check, error) {
	return withoutArgs(n, sshdValidCheck{})
}

func (sshdValidCheck) Fixable() bool { return false }

func (sshdValidCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	cfg, o := sshdConfig(f)
	if o != nil {
		return *o
	}
	const exp = "a configuration sshd accepts"
	if len(cfg.Problems) == 0 {
		return check.Pass(result.Evidence{Expected: exp, Observed: fmt.Sprintf("no errors in %d files", len(cfg.Files))})
	}
	evs := []result.Evidence{{Expected: exp, Observed: fmt.Sprintf("%d errors sshd refuses to start on", len(cfg.Problems))}}
	return check.Fail(append(evs, problemEvidence(cfg)...)...)
}
