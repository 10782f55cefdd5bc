package firewall

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Families of the address a rule or base chain sees.
const (
	IPv4 = "ipv4"
	IPv6 = "ipv6"
)

// Verdicts, in nftables' words (iptables' targets are mapped to them).
const (
	Accept = "accept"
	Drop   = "drop"
	Reject = "reject"
	Return = "return"
	Jump   = "jump"
	Goto   = "goto"
)

// Match keys: what a rule matches on. Anything cradle does not model is
// kept as KeyOther, so the rule counts as conditional.
const (
	KeyIIf     = "iif"     // input interface (iif, iifname, -i)
	KeyOIf     = "oif"     // output interface
	KeySaddr   = "saddr"   // source address or prefix
	KeyDaddr   = "daddr"   // destination address or prefix
	KeyProto   = "proto"   // layer 4 protocol (tcp, udp, icmp, …)
	KeyDport   = "dport"   // destination port(s) or ranges "a-b"
	KeySport   = "sport"   // source port(s)
	KeyCTState = "ctstate" // conntrack states, lower case
	KeyOther   = "other"   // anything else (kept verbatim)
)

// Match is one condition of a rule.
type Match struct {
	Key    string   `json:"key"`
	Neg    bool     `json:"neg,omitempty"`
	Values []string `json:"values"`
}

// Rule is one rule of a chain, nftables or iptables, in one model.
type Rule struct {
	Text    string  `json:"text"`
	Matches []Match `json:"matches,omitempty"`
	// Verdict is accept, drop, reject, return, jump or goto; empty for a
	// rule without one (counter, log), which evaluation passes over.
	Verdict string `json:"verdict,omitempty"`
	Target  string `json:"target,omitempty"` // chain of jump/goto
	// Family is set when the rule can match only one family (ip saddr in
	// an inet chain, meta nfproto ipv6).
	Family string `json:"family,omitempty"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
}

// Chain is a base chain (Hook set) or a regular chain jumped to.
type Chain struct {
	// Manager is the firewall manager the chain comes from (nftables,
	// iptables, ufw, firewalld, running).
	Manager string `json:"manager"`
	// Family is the nftables family: ip, ip6, inet (both), or
	// arp/bridge/netdev, which filter no IP input.
	Family string `json:"family"`
	Table  string `json:"table"`
	Name   string `json:"name"`
	Hook   string `json:"hook,omitempty"`
	// Policy of a base chain: accept (nftables' default) or drop.
	Policy string `json:"policy,omitempty"`
	Rules  []Rule `json:"rules"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
}

// Ruleset is a set of tables as netfilter would hold them.
type Ruleset struct {
	Chains []*Chain `json:"chains"`
	// Dormant lists tables ("inet filter") flagged dormant: their
	// chains see no packets.
	Dormant []string `json:"dormant,omitempty"`
}

func (c *Chain) where() string { return c.Family + " " + c.Table + " " + c.Name }

// Where names a chain for evidence: "inet filter input (nftables)".
func (c *Chain) Where() string { return c.where() + " (" + c.Manager + ")" }

// Covers reports whether a chain of this family sees packets of fam.
func familyCovers(chainFam, fam string) bool {
	switch chainFam {
	case "inet":
		return true
	case "ip":
		return fam == IPv4
	case "ip6":
		return fam == IPv6
	}
	return false
}

// BaseChains returns the base chains on hook that see packets of fam.
func (rs *Ruleset) BaseChains(hook, fam string) []*Chain {
	var out []*Chain
	for _, c := range rs.Chains {
		if c.Hook == hook && familyCovers(c.Family, fam) && !rs.dormant(c) {
			out = append(out, c)
		}
	}
	return out
}

func (rs *Ruleset) dormant(c *Chain) bool {
	return slices.Contains(rs.Dormant, c.Family+" "+c.Table)
}

// chain finds a regular chain of the same table.
func (rs *Ruleset) chain(from *Chain, name string) *Chain {
	for _, c := range rs.Chains {
		if c.Manager == from.Manager && c.Family == from.Family && c.Table == from.Table && c.Name == name {
			return c
		}
	}
	return nil
}

// maxDepth bounds jump nesting, as the kernel does (it refuses loops).
const maxDepth = 16

// Step is one rule reached while evaluating a chain, with the chain it is in.
type Step struct {
	Chain *Chain
	Rule  *Rule
}

// Walk evaluates base chain c for a packet of family fam that matches
// only what cond accepts, and returns the rules reached in order up to
// the one that ends evaluation for every such packet (an unconditional
// terminal verdict), and that final verdict: the chain policy when no
// rule ends it. Jumps whose rule can match are followed; a chain that
// falls through returns to the rule after the jump.
func (rs *Ruleset) Walk(c *Chain, fam string) (steps []Step, final string, at *Step) {
	final, at = rs.walk(c, fam, 0, &steps)
	if final == "" || final == Return {
		final = c.Policy
		if final == "" {
			final = Accept
		}
	}
	return steps, final, at
}

func (rs *Ruleset) walk(c *Chain, fam string, depth int, steps *[]Step) (string, *Step) {
	if depth > maxDepth {
		return "", nil
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.Family != "" && r.Family != fam {
			continue
		}
		st := Step{Chain: c, Rule: r}
		*steps = append(*steps, st)
		uncond := len(r.Matches) == 0
		switch r.Verdict {
		case Accept, Drop, Reject:
			if uncond {
				return r.Verdict, &st
			}
		case Return:
			if uncond {
				return Return, &st
			}
		case Jump, Goto:
			sub := rs.chain(c, r.Target)
			if sub == nil {
				continue
			}
			v, at := rs.walk(sub, fam, depth+1, steps)
			if uncond && (v == Accept || v == Drop || v == Reject) {
				return v, at
			}
			if r.Verdict == Goto && uncond {
				return Return, at
			}
		}
	}
	return "", nil
}

// Denies reports whether final is a denying verdict.
func Denies(final string) bool { return final == Drop || final == Reject }

// Has reports whether the rule has a match on key (negated or not).
func (r *Rule) Has(key string) (Match, bool) {
	for _, m := range r.Matches {
		if m.Key == key {
			return m, true
		}
	}
	return Match{}, false
}

// OnlyKeys reports whether every match of r is one of keys.
func (r *Rule) OnlyKeys(keys ...string) bool {
	for _, m := range r.Matches {
		if !slices.Contains(keys, m.Key) {
			return false
		}
	}
	return true
}

// IsLoopbackAccept reports a rule accepting everything that arrives on lo.
func (r *Rule) IsLoopbackAccept() bool {
	m, ok := r.Has(KeyIIf)
	return ok && !m.Neg && r.Verdict == Accept && len(r.Matches) == 1 && slices.Equal(m.Values, []string{"lo"})
}

// loopbackNets are the addresses only lo may carry.
var loopbackNets = map[string]netip.Prefix{
	IPv4: netip.MustParsePrefix("127.0.0.0/8"),
	IPv6: netip.MustParsePrefix("::1/128"),
}

// IsSpoofDrop reports a rule dropping packets with a loopback source
// address of family fam that do not come in on lo: either restricted to
// other interfaces (iif != lo) or after lo's traffic was accepted (the
// caller checks the order).
func (r *Rule) IsSpoofDrop(fam string) bool {
	if !Denies(r.Verdict) {
		return false
	}
	m, ok := r.Has(KeySaddr)
	if !ok || m.Neg || !r.OnlyKeys(KeySaddr, KeyIIf) {
		return false
	}
	if i, ok := r.Has(KeyIIf); ok && !(i.Neg && slices.Equal(i.Values, []string{"lo"})) {
		return false
	}
	want := loopbackNets[fam]
	for _, v := range m.Values {
		p, err := parsePrefix(v)
		if err == nil && p.Addr().Is4() == want.Addr().Is4() && p.Bits() <= want.Bits() && p.Contains(want.Addr()) {
			return true
		}
	}
	return false
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// IsEstablishedAccept reports a rule accepting established traffic
// (replies to connections the host opened).
func (r *Rule) IsEstablishedAccept() bool {
	m, ok := r.Has(KeyCTState)
	return ok && !m.Neg && r.Verdict == Accept && r.OnlyKeys(KeyCTState) && slices.Contains(m.Values, "established")
}

// AllowsPort reports whether r accepts new traffic to proto/port from
// anywhere: a destination-port match covering port, the protocol
// matching (or not restricted), not only for already-established
// connections, and neither restricted to some source addresses nor to
// some input interfaces (an allow for 10.0.0.0/8 or on eth1 does not keep
// a port reachable for everyone who reaches it now).
func (r *Rule) AllowsPort(proto string, port uint16) bool {
	if r.Verdict != Accept {
		return false
	}
	d, ok := r.Has(KeyDport)
	if !ok || d.Neg || !portIn(d.Values, port) {
		return false
	}
	if p, ok := r.Has(KeyProto); ok && p.Neg == slices.Contains(p.Values, proto) {
		return false
	}
	if i, ok := r.Has(KeyIIf); ok && !(i.Neg && slices.Equal(i.Values, []string{"lo"})) {
		return false
	}
	if a, ok := r.Has(KeySaddr); ok && !(!a.Neg && anyAddr(a.Values)) {
		return false
	}
	if s, ok := r.Has(KeyCTState); ok && !s.Neg && !slices.Contains(s.Values, "new") {
		return false
	}
	return true
}

// anyAddr reports whether vs matches every address (0.0.0.0/0, ::/0).
func anyAddr(vs []string) bool {
	return slices.ContainsFunc(vs, func(v string) bool {
		p, err := parsePrefix(v)
		return err == nil && p.Bits() == 0
	})
}

// portIn reports whether port is one of vs ("22", "1000-2000", "1000:2000").
func portIn(vs []string, port uint16) bool {
	for _, v := range vs {
		lo, hi, ok := strings.Cut(v, "-")
		if !ok {
			lo, hi, ok = strings.Cut(v, ":")
		}
		if !ok {
			hi = lo
		}
		a, err1 := strconv.ParseUint(lo, 10, 16)
		b, err2 := strconv.ParseUint(hi, 10, 16)
		if err1 == nil && err2 == nil && uint64(port) >= a && uint64(port) <= b {
			return true
		}
	}
	return false
}

// serviceports maps the service names rules use most to their ports
// (/etc/services), so "tcp dport ssh" is understood without reading the
// target's services file.
var servicePorts = map[string]string{
	"ssh": "22", "http": "80", "https": "443", "domain": "53", "smtp": "25",
	"submission": "587", "imaps": "993", "pop3s": "995", "ntp": "123",
	"bootpc": "68", "bootps": "67", "dhcpv6-client": "546", "mdns": "5353",
}

func portValue(v string) string {
	if p, ok := servicePorts[strings.ToLower(v)]; ok {
		return p
	}
	return v
}
