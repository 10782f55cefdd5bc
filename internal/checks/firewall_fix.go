package checks

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/firewall"
	"github.com/cradle-cra/cradle/internal/collect/kvconf"
	"github.com/cradle-cra/cradle/internal/collect/netsock"
	"github.com/cradle-cra/cradle/internal/collect/sshd"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
)

// Only the default policies are fixed, and only through ufw, whose
// policy and rule files have one documented layout: a default-deny policy
// is set only together with an allow for every port sshd listens on, so
// the fix never cuts off the session it may be applied over, and on a
// live host for every port a service listens on for other hosts (TCP and
// UDP: a VPN's port too). Offline the listeners are unknown, which the
// preflight rates as an unknown impact. Everything else (another manager,
// several managers, sshd ports unknown, a user.rules without ufw's
// markers) is deferred with the commands to run.

func (c *firewallCheck) Fixable() bool {
	return c.a.Aspect == "input_deny" || c.a.Aspect == "forward_deny"
}

// manualDeny is the advice when the policy cannot be set safely.
func manualDeny(hook string) string {
	if hook == "forward" {
		return "set the forward policy to drop, allowing what the host must route first: " +
			"ufw: `ufw default deny routed`; nftables: `policy drop;` in the forward base chain of /etc/nftables.conf; " +
			"firewalld: the default zone's target already rejects forwarded traffic; " +
			"iptables: `iptables -P FORWARD DROP` (and ip6tables), then `netfilter-persistent save`"
	}
	return "allow the ports that must stay reachable (sshd's first) and then set the input policy to drop: " +
		"ufw: `ufw allow 22/tcp && ufw default deny incoming`; " +
		"nftables: `nft add rule inet filter input tcp dport 22 accept` and `policy drop;` in the input base chain of /etc/nftables.conf; " +
		"firewalld: `firewall-cmd --permanent --add-service=ssh` (the default zone's target already rejects); " +
		"iptables: `iptables -A INPUT -p tcp --dport 22 -j ACCEPT && iptables -P INPUT DROP` (and ip6tables), then `netfilter-persistent save`"
}

func (c *firewallCheck) Remediate(ctx context.Context, f *facts.Store, ch *remedy.Changes) error {
	hook := strings.TrimSuffix(c.a.Aspect, "_deny")
	summary := fmt.Sprintf("set the default %s policy to DROP", hook)
	fw, err := firewall.Get(f)
	if err != nil {
		return fmt.Errorf("read the firewall configuration: %w", err)
	}
	active := fw.Active()
	if len(active) != 1 || active[0].Name != firewall.UFWName || fw.UFW == nil {
		ch.Defer(summary, "only a ufw policy is changed by cradle fix; "+manualDeny(hook))
		return nil
	}
	var keep []keptPort
	if hook == "input" {
		ports, why := sshdPorts(f)
		if why != "" {
			ch.Defer(summary, why+": the port to keep open is not known; "+manualDeny(hook))
			return nil
		}
		for _, p := range ports {
			keep = append(keep, keptPort{"tcp", p, nil})
		}
		if f.Target().Live() {
			socks, err := netsock.Get(f)
			if err != nil {
				ch.Defer(summary, "the listening services cannot be read ("+err.Error()+"); "+manualDeny(hook))
				return nil
			}
			for _, s := range socks.Listening {
				if !s.Loopback() {
					keep = append(keep, keptPort{s.Proto, s.Port, sockFams(s)})
				}
			}
		}
	}
	rs := fw.Persisted
	var allowed []string
	for _, fam := range c.famsFor(fw) {
		file, chain, any := firewall.UFWUser4, "ufw-user-input", "0.0.0.0/0"
		if fam == firewall.IPv6 {
			file, chain, any = firewall.UFWUser6, "ufw6-user-input", "::/0"
		}
		var add []string
		var added []keptPort
		for _, k := range keep {
			if (k.fams == nil || slices.Contains(k.fams, fam)) && !allowsPort(rs, fam, k.proto, k.port) &&
				!slices.ContainsFunc(added, func(a keptPort) bool { return a.proto == k.proto && a.port == k.port }) {
				added = append(added, k)
				add = append(add, fmt.Sprintf("### tuple ### allow %s %d %s any %s in", k.proto, k.port, any, any),
					fmt.Sprintf("-A %s -p %s --dport %d -j ACCEPT", chain, k.proto, k.port), "")
			}
		}
		if len(add) > 0 {
			tf, err := readText(ch, file)
			if err != nil {
				return err
			}
			end := slices.Index(tf.lines, "### END RULES ###")
			if end < 0 {
				ch.Defer(summary, fmt.Sprintf("/%s has no \"### END RULES ###\" marker to add the sshd allow before; %s", file, manualDeny(hook)))
				return nil
			}
			for i, l := range add {
				tf.insert(end+1+i, l)
			}
			if err := tf.write(ch, 0o640, "allow sshd's and the listening services' ports before denying inbound traffic"); err != nil {
				return err
			}
		}
	}
	for _, k := range keep {
		allowed = append(allowed, k.proto+"/"+strconv.Itoa(int(k.port)))
	}
	allowed = append(allowed, allowedPorts(rs)...)
	slices.Sort(allowed)
	src := kvconf.Source{Syntax: kvconf.Equals, Paths: []string{"/" + firewall.UFWDefaults}}
	key := "DEFAULT_" + strings.ToUpper(hook) + "_POLICY"
	if err := kvSet(ctx, ch, src, "", key, "DROP", kvOpts{}, summary); err != nil {
		return err
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectFirewallDeny, Subject: hook, Value: strings.Join(slices.Compact(allowed), ",")})
	return nil
}

// keptPort is a port the input policy keeps open; fams nil is both
// families.
type keptPort struct {
	proto string
	port  uint16
	fams  []string
}

// famsFor lists the families ufw's rule files serve.
func (c *firewallCheck) famsFor(fw *firewall.Firewall) []string {
	if fw.UFW.IPv6() {
		return []string{firewall.IPv4, firewall.IPv6}
	}
	return []string{firewall.IPv4}
}

// allowsPort reports whether an input chain of fam already accepts proto/port.
func allowsPort(rs *firewall.Ruleset, fam, proto string, port uint16) bool {
	for _, ch := range rs.BaseChains("input", fam) {
		steps, _, _ := rs.Walk(ch, fam)
		for _, st := range steps {
			if st.Rule.AllowsPort(proto, port) {
				return true
			}
		}
	}
	return false
}

// allowedPorts lists the single ports input chains accept ("tcp/80").
func allowedPorts(rs *firewall.Ruleset) []string {
	var out []string
	for _, fam := range []string{firewall.IPv4, firewall.IPv6} {
		for _, ch := range rs.BaseChains("input", fam) {
			steps, _, _ := rs.Walk(ch, fam)
			for _, st := range steps {
				d, ok := st.Rule.Has(firewall.KeyDport)
				if !ok || st.Rule.Verdict != firewall.Accept {
					continue
				}
				for _, proto := range []string{"tcp", "udp"} {
					for _, v := range d.Values {
						if p, err := strconv.ParseUint(v, 10, 16); err == nil && st.Rule.AllowsPort(proto, uint16(p)) {
							out = append(out, proto+"/"+v)
						}
					}
				}
			}
		}
	}
	return out
}

// sshdPorts returns the ports sshd listens on, from its configuration:
// every Port (22 when none), or the ports of ListenAddress host:port.
// why is non-empty when they cannot be known.
func sshdPorts(f *facts.Store) (ports []uint16, why string) {
	cfg, err := sshd.Get(f)
	if err != nil {
		return nil, "the sshd configuration cannot be read (" + err.Error() + ")"
	}
	if !cfg.Installed {
		return nil, ""
	}
	if !cfg.Present {
		return nil, "sshd is installed but has no sshd_config"
	}
	if len(cfg.Problems) > 0 {
		return nil, "sshd's configuration has errors (" + cfg.Problems[0] + ")"
	}
	var plain []uint16
	for _, d := range cfg.Directives {
		if d.Match != nil || len(d.Args) == 0 {
			continue
		}
		switch strings.ToLower(d.Keyword) {
		case "port":
			p, err := strconv.ParseUint(d.Args[0], 10, 16)
			if err != nil || p == 0 {
				return nil, fmt.Sprintf("sshd Port %q (%s:%d) is not a number", d.Args[0], d.File, d.Line)
			}
			plain = append(plain, uint16(p))
		case "listenaddress":
			if _, port, err := net.SplitHostPort(d.Args[0]); err == nil {
				p, err := strconv.ParseUint(port, 10, 16)
				if err != nil || p == 0 {
					return nil, fmt.Sprintf("sshd ListenAddress %q (%s:%d) has no usable port", d.Args[0], d.File, d.Line)
				}
				ports = append(ports, uint16(p))
			}
		}
	}
	if len(plain) == 0 {
		plain = []uint16{22}
	}
	ports = append(ports, plain...)
	slices.Sort(ports)
	return slices.Compact(ports), ""
}
