package firewall

import (
	"errors"
	"io/fs"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/kvconf"
	"github.com/cradle-cra/cradle/internal/target"
)

// ufw (ufw-framework(8)): /etc/ufw/ufw.conf ENABLED=yes makes ufw.service
// load the firewall at boot; /etc/default/ufw holds the default policies
// (DEFAULT_INPUT_POLICY, DEFAULT_FORWARD_POLICY, DEFAULT_OUTPUT_POLICY:
// ACCEPT, DROP or REJECT) and IPV6=yes|no; the rules are iptables-restore
// files: before.rules (loopback, established, ICMP), user.rules (what
// `ufw allow` writes) and after.rules, and their IPv6 twins before6.rules,
// user6.rules, after6.rules with chains named ufw6-*. ufw itself hooks
// them into INPUT and FORWARD (before, user, after), with the default
// policy as the built-in chain's policy.

// UFW is ufw's configuration.
type UFW struct {
	Present bool `json:"present"`
	// Enabled is ENABLED=yes in ufw.conf.
	Enabled bool `json:"enabled"`
	// Settings are the KEY=value entries of ufw.conf and /etc/default/ufw
	// (the last of each key).
	Settings map[string]Setting `json:"settings"`
	Files    []string           `json:"files"`
}

// Setting is one shell-style assignment with where it is.
type Setting struct {
	Value string `json:"value"`
	File  string `json:"file"`
	Line  int    `json:"line"`
}

// UFW file locations.
const (
	UFWConf     = "etc/ufw/ufw.conf"
	UFWDefaults = "etc/default/ufw"
	UFWUser4    = "etc/ufw/user.rules"
	UFWUser6    = "etc/ufw/user6.rules"
)

// IPv6 reports whether ufw manages IPv6 (IPV6=yes; ufw's default when
// unset is yes in the shipped file, so only an explicit no disables it).
func (u *UFW) IPv6() bool {
	s, ok := u.Settings["IPV6"]
	return !ok || strings.EqualFold(s.Value, "yes")
}

// ufwPolicy maps DEFAULT_*_POLICY to a chain policy and a final rule.
func ufwPolicy(v string) string {
	switch strings.ToUpper(v) {
	case "DROP":
		return Drop
	case "REJECT":
		return Reject
	}
	return Accept
}

func readUFW(t target.Target, rs *Ruleset) (*UFW, []string, error) {
	u := &UFW{Settings: map[string]Setting{}}
	for _, p := range []string{UFWConf, UFWDefaults} {
		b, err := target.ReadFileLimit(t, p, 1<<20)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, nil, err
		}
		u.Present = true
		u.Files = append(u.Files, target.Abs(p))
		for _, e := range kvconf.Parse(b, kvconf.Equals, target.Abs(p)) {
			u.Settings[e.Key] = Setting{Value: e.Value, File: e.File, Line: e.Line}
		}
	}
	if !u.Present {
		return u, nil, nil
	}
	u.Enabled = strings.EqualFold(u.Settings["ENABLED"].Value, "yes")
	var problems []string
	fams := []struct{ fam, prefix, suffix string }{{"ip", "ufw", ""}}
	if u.IPv6() {
		fams = append(fams, struct{ fam, prefix, suffix string }{"ip6", "ufw6", "6"})
	}
	if !u.IPv6() {
		// "no means only IPv6 on loopback accepted" (/etc/default/ufw).
		s := u.Settings["IPV6"]
		for _, hook := range []string{"input", "forward"} {
			c := &Chain{Manager: "ufw", Family: "ip6", Table: "filter", Name: strings.ToUpper(hook), Hook: hook, Policy: Drop, Rules: []Rule{}, File: s.File, Line: s.Line}
			if hook == "input" {
				c.Rules = append(c.Rules, Rule{Text: "-A INPUT -i lo -j ACCEPT (IPV6=no)", Matches: []Match{{Key: KeyIIf, Values: []string{"lo"}}}, Verdict: Accept, File: s.File, Line: s.Line})
			}
			rs.Chains = append(rs.Chains, c)
		}
	}
	for _, f := range fams {
		for _, hook := range []string{"input", "forward"} {
			pol := ufwPolicy(u.Settings["DEFAULT_"+strings.ToUpper(hook)+"_POLICY"].Value)
			c := &Chain{Manager: "ufw", Family: f.fam, Table: "filter", Name: strings.ToUpper(hook), Hook: hook, Policy: Accept, Rules: []Rule{}}
			if s, ok := u.Settings["DEFAULT_"+strings.ToUpper(hook)+"_POLICY"]; ok {
				c.File, c.Line = s.File, s.Line
			}
			for _, part := range []string{"before", "user", "after"} {
				name := f.prefix + "-" + part + "-" + hook
				c.Rules = append(c.Rules, Rule{Text: "-A " + c.Name + " -j " + name, Verdict: Jump, Target: name})
			}
			if pol != Accept {
				c.Policy = Drop
				if pol == Reject {
					c.Rules = append(c.Rules, Rule{Text: "-A " + c.Name + " -j REJECT (DEFAULT_" + strings.ToUpper(hook) + "_POLICY=REJECT)", Verdict: Reject, File: c.File, Line: c.Line})
				}
			}
			rs.Chains = append(rs.Chains, c)
		}
		for _, part := range []string{"before", "user", "after"} {
			p := "etc/ufw/" + part + f.suffix + ".rules"
			b, err := target.ReadFileLimit(t, p, 4<<20)
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					problems = append(problems, err.Error())
				}
				continue
			}
			u.Files = append(u.Files, target.Abs(p))
			one := &Ruleset{Chains: rs.Chains}
			if err := ParseIptables(one, b, target.Abs(p), f.fam, "ufw", true); err != nil {
				problems = append(problems, err.Error())
				continue
			}
			rs.Chains = one.Chains
		}
	}
	return u, problems, nil
}
