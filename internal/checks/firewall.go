package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/firewall"
	"github.com/cradle-cra/cradle/internal/collect/netsock"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// firewallTemplate judges the host firewall (internal/collect/firewall):
// the running ruleset on the scanning host when it can be read, else what
// the enabled firewall manager loads at boot.
//
//	firewall: {aspect: single_manager}
//	firewall: {aspect: input_deny, families: [ipv4]}
//	firewall: {aspect: forward_deny}
//	firewall: {aspect: loopback}      # lo accepted where input is denied
//	firewall: {aspect: spoofing}      # loopback sources from elsewhere dropped
//	firewall: {aspect: established}   # replies accepted where input is denied
//	firewall: {aspect: listening, protocols: [tcp]}  # live: listeners allowed
//
// Netfilter accepts a packet only when every base chain on its hook does,
// so one base chain that denies by default is a default-deny policy.
type firewallTemplate struct{}

type firewallArgs struct {
	Aspect    string   `yaml:"aspect"`
	Families  []string `yaml:"families"`
	Protocols []string `yaml:"protocols"`
}

type firewallCheck struct{ a firewallArgs }

var firewallAspects = []string{"single_manager", "input_deny", "forward_deny", "loopback", "spoofing", "established", "listening"}

func (firewallTemplate) Name() string { return "firewall" }

func (firewallTemplate) New(n *yaml.Node) (check.Check, error) {
	var a firewallArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if !slices.Contains(firewallAspects, a.Aspect) {
		return nil, check.ArgErrorf(n, "aspect %q: want one of %s", a.Aspect, strings.Join(firewallAspects, ", "))
	}
	if len(a.Families) == 0 {
		a.Families = []string{firewall.IPv4, firewall.IPv6}
	}
	for _, f := range a.Families {
		if f != firewall.IPv4 && f != firewall.IPv6 {
			return nil, check.ArgErrorf(n, "families: %q is not ipv4 or ipv6", f)
		}
	}
	if len(a.Protocols) == 0 {
		a.Protocols = []string{"tcp"}
	}
	for _, p := range a.Protocols {
		if p != "tcp" && p != "udp" {
			return nil, check.ArgErrorf(n, "protocols: %q is not tcp or udp", p)
		}
	}
	return &firewallCheck{a: a}, nil
}

func famName(f string) string {
	return map[string]string{firewall.IPv4: "IPv4", firewall.IPv6: "IPv6"}[f]
}

func ruleEvidence(exp string, st *firewall.Step, observed string) result.Evidence {
	ev := result.Evidence{Expected: exp, Observed: observed}
	if st != nil {
		ev.File, ev.Line = st.Rule.File, st.Rule.Line
	}
	return ev
}

func chainEvidence(exp string, c *firewall.Chain, observed string) result.Evidence {
	return result.Evidence{Expected: exp, Observed: observed, File: c.File, Line: c.Line}
}

// finalText says how a chain ends for a packet no rule took.
func finalText(c *firewall.Chain, final string, at *firewall.Step) string {
	if at != nil {
		return fmt.Sprintf("%s ends with %q", c.Where(), at.Rule.Text)
	}
	return fmt.Sprintf("%s has policy %s", c.Where(), final)
}

func (c *firewallCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	if c.a.Aspect == "listening" && !f.Target().Live() {
		return check.NotApplicable("which services listen is runtime state: offline, whether the policy covers them is unknown")
	}
	fw, err := firewall.Get(f)
	if err != nil {
		return check.FromErr("read the firewall configuration", err)
	}
	if c.a.Aspect == "single_manager" {
		return c.singleManager(fw)
	}
	rs, source := fw.Effective()
	if fw.Running == nil {
		if o, done := noManager(fw); done {
			return o
		}
	}
	switch c.a.Aspect {
	case "input_deny", "forward_deny":
		hook := strings.TrimSuffix(c.a.Aspect, "_deny")
		o := c.deny(rs, source, hook)
		if fw.Running == nil {
			return o
		}
		// The running ruleset is lost at the next boot and the persisted
		// one is not loaded until then: both must deny.
		p, done := noManager(fw)
		if !done {
			p = c.deny(fw.Persisted, "persisted configuration", hook)
		}
		return both(o, p)
	case "listening":
		return c.listening(f, rs, source)
	}
	return c.inputRules(rs, source)
}

// noManager fails when nothing loads a firewall at boot, naming the
// errors that keep an enabled one from loading.
func noManager(fw *firewall.Firewall) (check.Outcome, bool) {
	exp := "a firewall manager loads the rules at boot"
	var ev []result.Evidence
	active := fw.Active()
	for _, m := range fw.Managers {
		for _, e := range m.Errors {
			if len(m.Enabled) > 0 {
				ev = append(ev, result.Evidence{Expected: m.Name + " configuration loads", Observed: e})
			}
		}
		if m.Note != "" {
			ev = append(ev, result.Evidence{Expected: exp, Observed: m.Note})
		}
	}
	if len(active) == 0 {
		ev = append(ev, result.Evidence{Expected: exp, Observed: "no firewall manager is enabled (nftables, iptables, ufw, firewalld units)"})
		return check.Fail(ev...), true
	}
	if len(ev) > 0 && len(fw.Persisted.Chains) == 0 {
		return check.Fail(ev...), true
	}
	return check.Outcome{}, false
}

func (c *firewallCheck) singleManager(fw *firewall.Firewall) check.Outcome {
	exp := "exactly one firewall manager enabled"
	active := fw.Active()
	var ev []result.Evidence
	for _, m := range active {
		ev = append(ev, result.Evidence{Expected: exp, Observed: m.Name + " enabled by " + strings.Join(m.Enabled, ", ")})
	}
	switch len(active) {
	case 1:
		return check.Pass(ev...)
	case 0:
		o, _ := noManager(fw)
		if o.Status == "" {
			o = check.Fail(result.Evidence{Expected: exp, Observed: "none enabled"})
		}
		return o
	}
	ev = append(ev, result.Evidence{Expected: exp, Observed: fmt.Sprintf("%d managers load rules at boot and overwrite or interleave each other's", len(active))})
	return check.Fail(ev...)
}

// deny judges the default verdict on hook for each family.
func (c *firewallCheck) deny(rs *firewall.Ruleset, source, hook string) check.Outcome {
	var good, bad []result.Evidence
	for _, fam := range c.a.Families {
		exp := fmt.Sprintf("%s %s traffic no rule accepts is dropped or rejected (%s)", famName(fam), hook, source)
		chains := rs.BaseChains(hook, fam)
		if len(chains) == 0 {
			bad = append(bad, result.Evidence{Expected: exp, Observed: fmt.Sprintf("no base chain on the %s hook sees %s packets: everything is accepted", hook, famName(fam))})
			continue
		}
		var denied *result.Evidence
		var open []result.Evidence
		for _, ch := range chains {
			steps, final, at := rs.Walk(ch, fam)
			if !firewall.Denies(final) {
				open = append(open, ruleEvidence(exp, at, finalText(ch, final, at)))
				if at == nil {
					open[len(open)-1] = chainEvidence(exp, ch, finalText(ch, final, at))
				}
				continue
			}
			// An interface opened wholesale defeats the default.
			for _, st := range steps {
				if m, ok := st.Rule.Has(firewall.KeyIIf); ok && st.Rule.Verdict == firewall.Accept && len(st.Rule.Matches) == 1 && !m.Neg && !slices.Equal(m.Values, []string{"lo"}) {
					open = append(open, ruleEvidence(exp, &st, fmt.Sprintf("%s accepts everything on %s: %q", ch.Where(), strings.Join(m.Values, ", "), st.Rule.Text)))
				}
			}
			e := ruleEvidence(exp, at, finalText(ch, final, at))
			if at == nil {
				e = chainEvidence(exp, ch, finalText(ch, final, at))
			}
			denied = &e
		}
		switch {
		case denied != nil && len(open) == 0:
			good = append(good, *denied)
		case denied != nil && slices.ContainsFunc(open, func(e result.Evidence) bool { return strings.Contains(e.Observed, "accepts everything on") }):
			bad = append(bad, open...)
		case denied != nil:
			// Another base chain accepting does not undo the drop.
			good = append(good, *denied)
		default:
			bad = append(bad, open...)
		}
	}
	return fwOutcome(good, bad)
}

// inputRules judges loopback, spoofing and established handling in the
// input chains that deny by default.
func (c *firewallCheck) inputRules(rs *firewall.Ruleset, source string) check.Outcome {
	var good, bad []result.Evidence
	for _, fam := range c.a.Families {
		var exp string
		switch c.a.Aspect {
		case "loopback":
			exp = fmt.Sprintf("%s traffic on lo is accepted before the default drop (%s)", famName(fam), source)
		case "spoofing":
			exp = fmt.Sprintf("%s packets from a loopback address arriving on another interface are dropped (%s)", famName(fam), source)
		case "established":
			exp = fmt.Sprintf("%s replies to the host's own connections (ct state established) are accepted (%s)", famName(fam), source)
		}
		chains := rs.BaseChains("input", fam)
		if len(chains) == 0 {
			bad = append(bad, result.Evidence{Expected: exp, Observed: "no base chain on the input hook sees " + famName(fam) + " packets (no firewall rules)"})
			continue
		}
		for _, ch := range chains {
			steps, final, at := rs.Walk(ch, fam)
			var hit *firewall.Step
			onlySafe := true
			for i := range steps {
				r := steps[i].Rule
				switch c.a.Aspect {
				case "loopback":
					if r.IsLoopbackAccept() {
						hit = &steps[i]
					}
				case "spoofing":
					if r.IsSpoofDrop(fam) {
						hit = &steps[i]
					}
					if r.Verdict == firewall.Accept && !r.IsLoopbackAccept() && !r.IsEstablishedAccept() {
						onlySafe = false
					}
				case "established":
					if r.IsEstablishedAccept() {
						hit = &steps[i]
					}
				}
				if hit != nil {
					break
				}
			}
			switch {
			case hit != nil:
				good = append(good, ruleEvidence(exp, hit, fmt.Sprintf("%s: %q", ch.Where(), hit.Rule.Text)))
			case !firewall.Denies(final) && c.a.Aspect != "spoofing":
				good = append(good, chainEvidence(exp, ch, finalText(ch, final, at)+": nothing is dropped"))
			case c.a.Aspect == "spoofing" && firewall.Denies(final) && onlySafe:
				good = append(good, chainEvidence(exp, ch, finalText(ch, final, at)+" and accepts only lo and established traffic"))
			default:
				bad = append(bad, chainEvidence(exp, ch, fmt.Sprintf("%s: no such rule before the default %s", ch.Where(), final)))
			}
		}
	}
	return fwOutcome(good, bad)
}

// listening judges the services listening for other hosts: each must be
// allowed by every input chain that denies by default.
func (c *firewallCheck) listening(f *facts.Store, rs *firewall.Ruleset, source string) check.Outcome {
	socks, err := netsock.Get(f)
	if err != nil {
		return check.FromErr("read the listening sockets", err)
	}
	var good, bad []result.Evidence
	for _, s := range socks.Listening {
		if s.Loopback() || !slices.Contains(c.a.Protocols, s.Proto) {
			continue
		}
		fams := sockFams(s)
		exp := fmt.Sprintf("%s is allowed by the firewall (%s)", s.Endpoint(), source)
		for _, fam := range fams {
			if !slices.Contains(c.a.Families, fam) {
				continue
			}
			for _, ch := range rs.BaseChains("input", fam) {
				steps, final, _ := rs.Walk(ch, fam)
				if !firewall.Denies(final) {
					continue
				}
				var allow *firewall.Step
				for i := range steps {
					if steps[i].Rule.AllowsPort(s.Proto, s.Port) {
						allow = &steps[i]
						break
					}
				}
				if allow == nil {
					bad = append(bad, result.Evidence{Expected: exp, Observed: fmt.Sprintf("%s drops %s %s/%d: no rule allows it", ch.Where(), famName(fam), s.Proto, s.Port), File: s.File, Line: s.Line})
				} else {
					good = append(good, ruleEvidence(exp, allow, fmt.Sprintf("%s: %q", ch.Where(), allow.Rule.Text)))
				}
			}
		}
	}
	if len(bad) > 0 {
		return fwOutcome(nil, bad)
	}
	if len(good) == 0 {
		good = append(good, result.Evidence{Expected: "listening services allowed", Observed: "no service listening for other hosts is filtered by a default-deny chain", File: target.Abs(netsock.Tables[0])})
	}
	return check.Pass(good...)
}

// both fails when either outcome fails, with the evidence of those that
// do (each names its ruleset), passes when both pass, and otherwise is
// the outcome that neither passes nor fails.
func both(a, b check.Outcome) check.Outcome {
	switch {
	case a.Status == result.Pass && b.Status == result.Pass:
		return check.Pass(append(slices.Clip(a.Evidence), b.Evidence...)...)
	case a.Status == result.Fail && b.Status == result.Fail:
		return check.Fail(append(slices.Clip(a.Evidence), b.Evidence...)...)
	case b.Status == result.Fail || a.Status == result.Pass:
		return b
	}
	return a
}

// sockFams lists the families a listening socket receives.
func sockFams(s netsock.Socket) []string {
	if s.Addr.Is6() && !s.Addr.Is4In6() {
		if s.Addr.IsUnspecified() {
			return []string{firewall.IPv4, firewall.IPv6} // dual-stack unless IPV6_V6ONLY
		}
		return []string{firewall.IPv6}
	}
	return []string{firewall.IPv4}
}

// fwOutcome fails with bad or passes with good, each without the
// repeats an inet chain gives for both families.
func fwOutcome(good, bad []result.Evidence) check.Outcome {
	uniq := func(evs []result.Evidence) []result.Evidence {
		var out []result.Evidence
		for _, e := range evs {
			if !slices.ContainsFunc(out, func(o result.Evidence) bool {
				return o.Observed == e.Observed && o.File == e.File && o.Line == e.Line
			}) {
				out = append(out, e)
			}
		}
		return out
	}
	if len(bad) > 0 {
		return check.Fail(uniq(bad)...)
	}
	return check.Pass(uniq(good)...)
}
