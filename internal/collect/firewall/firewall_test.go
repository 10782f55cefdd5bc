package firewall

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// systemdBase is a systemd tree with the firewall units installed.
var systemdBase = map[string]string{
	"usr/lib/systemd/systemd": "",
	"lib":                     "->usr/lib",
	"usr/lib/systemd/system/nftables.service":             "[Service]\n[Install]\nWantedBy=sysinit.target\n",
	"usr/lib/systemd/system/ufw.service":                  "[Service]\n[Install]\nWantedBy=multi-user.target\n",
	"usr/lib/systemd/system/firewalld.service":            "[Service]\n[Install]\nWantedBy=multi-user.target\n",
	"usr/lib/systemd/system/netfilter-persistent.service": "[Service]\n[Install]\nWantedBy=multi-user.target\n",
}

func enable(unit string) map[string]string {
	by := "multi-user.target"
	if unit == "nftables.service" {
		by = "sysinit.target"
	}
	return map[string]string{"etc/systemd/system/" + by + ".wants/" + unit: "->/lib/systemd/system/" + unit}
}

func tree(t *testing.T, parts ...map[string]string) *Firewall {
	t.Helper()
	files := maps.Clone(systemdBase)
	for _, p := range parts {
		maps.Copy(files, p)
	}
	tg := targettest.Tree(t, files)
	f, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// verdicts summarises the effective input and forward handling.
func verdicts(f *Firewall) string {
	rs, _ := f.Effective()
	var out []string
	for _, hook := range []string{"input", "forward"} {
		for _, fam := range []string{IPv4, IPv6} {
			cs := rs.BaseChains(hook, fam)
			v := "none"
			for _, c := range cs {
				_, final, _ := rs.Walk(c, fam)
				if v == "none" || Denies(final) {
					v = final
				}
			}
			out = append(out, hook+"/"+fam+"="+v)
		}
	}
	return strings.Join(out, " ")
}

const nftGood = `#!/usr/sbin/nft -f
flush ruleset
define SSH = { 22, 2222 }
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		iif lo accept
		iif != lo ip saddr 127.0.0.0/8 counter drop
		iifname != "lo" ip6 saddr ::1 drop comment "spoofed"
		ct state established,related accept
		tcp dport $SSH ct state new accept
	}
	chain forward {
		type filter hook forward priority 0
		policy drop
	}
}
include "nftables.d/*.nft"
`

func TestNftables(t *testing.T) {
	base := map[string]string{"etc/nftables.conf": nftGood, "etc/nftables.d/10-web.nft": "add rule inet filter input tcp dport { http, 443 } accept\n"}
	tests := []struct {
		name  string
		files []map[string]string
		want  string
		errs  string
	}{
		{"deny both families", []map[string]string{base, enable("nftables.service")}, "input/ipv4=drop input/ipv6=drop forward/ipv4=drop forward/ipv6=drop", ""},
		{"not enabled loads nothing", []map[string]string{base}, "input/ipv4=none input/ipv6=none forward/ipv4=none forward/ipv6=none", ""},
		{"ip table covers only IPv4", []map[string]string{enable("nftables.service"), {"etc/nftables.conf": "table ip f {\n chain i { type filter hook input priority 0; policy drop; }\n}\n"}},
			"input/ipv4=drop input/ipv6=none forward/ipv4=none forward/ipv6=none", ""},
		{"final drop rule", []map[string]string{enable("nftables.service"), {"etc/nftables.conf": "table inet f {\n chain i { type filter hook input priority 0\n iif lo accept\n counter reject with icmpx type admin-prohibited\n }\n}\n"}},
			"input/ipv4=reject input/ipv6=reject forward/ipv4=none forward/ipv6=none", ""},
		{"accept all before the drop", []map[string]string{enable("nftables.service"), {"etc/nftables.conf": "table inet f {\n chain i { type filter hook input priority 0; policy drop; counter accept; }\n}\n"}},
			"input/ipv4=accept input/ipv6=accept forward/ipv4=none forward/ipv6=none", ""},
		{"jump to a chain that drops", []map[string]string{enable("nftables.service"), {"etc/nftables.conf": "table inet f {\n chain base { type filter hook input priority 0; jump tail }\n chain tail { drop }\n}\n"}},
			"input/ipv4=drop input/ipv6=drop forward/ipv4=none forward/ipv6=none", ""},
		{"flush ruleset after tables", []map[string]string{enable("nftables.service"), {"etc/nftables.conf": "table inet f {\n chain i { type filter hook input priority 0; policy drop; }\n}\nflush ruleset\n"}},
			"input/ipv4=none input/ipv6=none forward/ipv4=none forward/ipv6=none", ""},
		{"dormant table", []map[string]string{enable("nftables.service"), {"etc/nftables.conf": "table inet f {\n flags dormant\n chain i { type filter hook input priority 0; policy drop; }\n}\n"}},
			"input/ipv4=none input/ipv6=none forward/ipv4=none forward/ipv6=none", ""},
		{"missing include refuses the file", []map[string]string{enable("nftables.service"), {"etc/nftables.conf": "include \"/etc/missing.nft\"\ntable inet f {\n chain i { type filter hook input priority 0; policy drop; }\n}\n"}},
			"input/ipv4=none input/ipv6=none forward/ipv4=none forward/ipv6=none", "missing.nft"},
		{"add commands", []map[string]string{enable("nftables.service"), {"etc/nftables.conf": "add table ip6 f\nadd chain ip6 f i { type filter hook input priority 0 ; policy drop ; }\nadd rule ip6 f i iif lo accept\n"}},
			"input/ipv4=none input/ipv6=drop forward/ipv4=none forward/ipv6=none", ""},
		{"include loop", []map[string]string{enable("nftables.service"), {"etc/nftables.conf": "include \"/etc/nftables.conf\"\n"}},
			"input/ipv4=none input/ipv6=none forward/ipv4=none forward/ipv6=none", "loop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tree(t, tt.files...)
			if got := verdicts(f); got != tt.want {
				t.Errorf("verdicts = %s\nwant       %s", got, tt.want)
			}
			errs := strings.Join(f.Manager(Nftables).Errors, "; ")
			if (tt.errs == "") != (errs == "") || !strings.Contains(errs, tt.errs) {
				t.Errorf("errors = %q, want %q", errs, tt.errs)
			}
		})
	}
}

func TestNftRules(t *testing.T) {
	f := tree(t, enable("nftables.service"), map[string]string{"etc/nftables.conf": nftGood, "etc/nftables.d/10-web.nft": "add rule inet filter input tcp dport { http, 443 } accept\n"})
	rs, _ := f.Effective()
	c := rs.BaseChains("input", IPv4)[0]
	steps, final, _ := rs.Walk(c, IPv4)
	if final != Drop {
		t.Fatalf("final %s", final)
	}
	var lo, spoof4, est bool
	allowed := map[uint16]bool{}
	for _, st := range steps {
		lo = lo || st.Rule.IsLoopbackAccept()
		spoof4 = spoof4 || st.Rule.IsSpoofDrop(IPv4)
		est = est || st.Rule.IsEstablishedAccept()
		for _, p := range []uint16{22, 2222, 80, 443, 8080} {
			if st.Rule.AllowsPort("tcp", p) {
				allowed[p] = true
			}
		}
	}
	if !lo || !spoof4 || !est {
		t.Errorf("lo %v spoof %v established %v", lo, spoof4, est)
	}
	if !allowed[22] || !allowed[2222] || !allowed[80] || !allowed[443] || allowed[8080] {
		t.Errorf("allowed %v", allowed)
	}
	steps6, _, _ := rs.Walk(rs.BaseChains("input", IPv6)[0], IPv6)
	spoof6 := false
	for _, st := range steps6 {
		if st.Rule.IsSpoofDrop(IPv4) && st.Rule.Family == IPv4 {
			t.Errorf("IPv4 rule %q reached for IPv6", st.Rule.Text)
		}
		spoof6 = spoof6 || st.Rule.IsSpoofDrop(IPv6)
	}
	if !spoof6 {
		t.Error("IPv6 spoof drop not found")
	}
}

const rulesV4 = `# Generated by iptables-save
*nat
:PREROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 80 -j REDIRECT --to-ports 8080
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:svc - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -s 127.0.0.0/8 ! -i lo -j DROP
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m multiport --dports 22,8000:8010 -m comment --comment "ssh and \"app\"" -j svc
-A svc -j ACCEPT
COMMIT
`

func TestIptables(t *testing.T) {
	f := tree(t, enable("netfilter-persistent.service"), map[string]string{
		"etc/iptables/rules.v4": rulesV4,
		"etc/iptables/rules.v6": "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n-A INPUT -j REJECT --reject-with icmp6-port-unreachable\nCOMMIT\n",
	})
	if got, want := verdicts(f), "input/ipv4=drop input/ipv6=reject forward/ipv4=drop forward/ipv6=accept"; got != want {
		t.Errorf("verdicts = %s, want %s", got, want)
	}
	rs, _ := f.Effective()
	steps, _, _ := rs.Walk(rs.BaseChains("input", IPv4)[0], IPv4)
	var lo, spoof bool
	for _, st := range steps {
		lo = lo || st.Rule.IsLoopbackAccept()
		spoof = spoof || st.Rule.IsSpoofDrop(IPv4)
	}
	if !lo || !spoof {
		t.Errorf("lo %v spoof %v", lo, spoof)
	}
	// The jump to svc allows port 8005 through the jumped chain's accept.
	if len(steps) != 5 {
		t.Errorf("steps %d", len(steps))
	}

	for body, want := range map[string]string{
		"*filter\n-A svc -j DROP\nCOMMIT\n":   "not declared",
		"*filter\n-A INPUT -j svc\nCOMMIT\n":  "neither a chain nor a target",
		"*filter\n:INPUT DROP [0:0]\n":        "without COMMIT",
		"*filter\n-A INPUT -j LOG\nCOMMIT\n":  "",
		"*filter\n-A INPUT -j DROP\nCOMMIT\n": "",
	} {
		f := tree(t, enable("netfilter-persistent.service"), map[string]string{"etc/iptables/rules.v4": body})
		errs := strings.Join(f.Manager(Iptables).Errors, "; ")
		if (want == "") != (errs == "") || !strings.Contains(errs, want) {
			t.Errorf("%q: errors %q, want %q", body, errs, want)
		}
	}
}

const beforeRules = `*filter
:ufw-before-input - [0:0]
:ufw-before-forward - [0:0]
-A ufw-before-input -i lo -j ACCEPT
-A ufw-before-input -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A ufw-before-input -p udp --sport 67 --dport 68 -j ACCEPT
COMMIT
`

func TestUFW(t *testing.T) {
	base := map[string]string{
		"etc/ufw/ufw.conf":     "ENABLED=yes\n",
		"etc/default/ufw":      "IPV6=yes\nDEFAULT_INPUT_POLICY=\"DROP\"\nDEFAULT_FORWARD_POLICY=\"REJECT\"\n",
		"etc/ufw/before.rules": beforeRules,
		"etc/ufw/user.rules":   "*filter\n:ufw-user-input - [0:0]\n### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n-A ufw-user-input -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
	}
	f := tree(t, enable("ufw.service"), base)
	if got, want := verdicts(f), "input/ipv4=drop input/ipv6=drop forward/ipv4=reject forward/ipv6=reject"; got != want {
		t.Errorf("verdicts = %s, want %s", got, want)
	}
	f = tree(t, enable("ufw.service"), base, map[string]string{"etc/ufw/ufw.conf": "ENABLED=no\n"})
	if m := f.Manager(UFWName); m.Active || m.Note == "" {
		t.Errorf("ENABLED=no: %+v", m)
	}
	f = tree(t, enable("ufw.service"), base, map[string]string{"etc/default/ufw": "IPV6=no\nDEFAULT_INPUT_POLICY=ACCEPT\n"})
	if got, want := verdicts(f), "input/ipv4=accept input/ipv6=drop forward/ipv4=accept forward/ipv6=drop"; got != want {
		t.Errorf("IPV6=no: verdicts = %s, want %s", got, want)
	}
}

func TestFirewalld(t *testing.T) {
	base := map[string]string{
		"etc/firewalld/firewalld.conf":        "DefaultZone=work\n",
		"usr/lib/firewalld/zones/work.xml":    `<?xml version="1.0"?><zone><service name="ssh"/><service name="web"/><port protocol="udp" port="5000-5010"/></zone>`,
		"etc/firewalld/services/web.xml":      `<service><port protocol="tcp" port="8443"/></service>`,
		"usr/lib/firewalld/zones/trusted.xml": `<zone target="ACCEPT"><interface name="eth1"/></zone>`,
		"etc/firewalld/zones/block.xml":       `<zone target="%%REJECT%%"><rule family="ipv4"><source address="127.0.0.0/8"/><drop/></rule></zone>`,
	}
	f := tree(t, enable("firewalld.service"), base)
	if got, want := verdicts(f), "input/ipv4=reject input/ipv6=reject forward/ipv4=reject forward/ipv6=reject"; got != want {
		t.Errorf("verdicts = %s, want %s", got, want)
	}
	rs, _ := f.Effective()
	steps, _, _ := rs.Walk(rs.BaseChains("input", IPv4)[0], IPv4)
	allowed := map[string]bool{}
	var spoof bool
	for _, st := range steps {
		for _, p := range []uint16{22, 8443, 5005, 80} {
			if st.Rule.AllowsPort("tcp", p) {
				allowed["tcp/"+itoa(p)] = true
			}
			if st.Rule.AllowsPort("udp", p) {
				allowed["udp/"+itoa(p)] = true
			}
		}
		spoof = spoof || st.Rule.IsSpoofDrop(IPv4)
	}
	if !allowed["tcp/22"] || !allowed["tcp/8443"] || !allowed["udp/5005"] || allowed["tcp/80"] || allowed["tcp/5005"] || !spoof {
		t.Errorf("allowed %v spoof %v", allowed, spoof)
	}
	f = tree(t, enable("firewalld.service"), base, map[string]string{"etc/firewalld/zones/work.xml": `<!DOCTYPE zone [<!ENTITY x "y">]><zone target="&x;"/>`})
	if errs := f.Manager(FirewalldApp).Errors; len(errs) == 0 || !strings.Contains(strings.Join(errs, ";"), "DTD") {
		t.Errorf("entity file accepted: %v", errs)
	}
	if rs, _ := f.Effective(); len(rs.Chains) != 0 {
		t.Errorf("a refused configuration loaded chains")
	}
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }

func TestRunningOnlyOnTheHost(t *testing.T) {
	files := maps.Clone(systemdBase)
	files["usr/sbin/nft"] = "#!/bin/sh\n"
	tg := targettest.LiveTree(t, files)
	called := false
	f, err := collect(context.Background(), facts.NewStore(context.Background(), tg), func(context.Context, string, ...string) ([]byte, error) {
		called = true
		return nil, errors.New("must not run")
	})
	if err != nil {
		t.Fatal(err)
	}
	if called || f.Running != nil || f.RunningNote == "" {
		t.Errorf("ran a program for a live root that is not the host: %+v", f)
	}
}

func TestParseNftRunningListing(t *testing.T) {
	listing := `table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept
		ct state { established, related } accept
		meta l4proto tcp th dport 22 accept
		tcp dport { 80, 443 } counter packets 10 bytes 600 accept
	}
}
`
	rs, err := ParseNft([]byte(listing), "nft list ruleset")
	if err != nil {
		t.Fatal(err)
	}
	steps, final, _ := rs.Walk(rs.BaseChains("input", IPv6)[0], IPv6)
	if final != Drop || len(steps) != 4 {
		t.Fatalf("final %s steps %d", final, len(steps))
	}
	if !steps[0].Rule.IsLoopbackAccept() || !steps[1].Rule.IsEstablishedAccept() || !steps[2].Rule.AllowsPort("tcp", 22) || !steps[3].Rule.AllowsPort("tcp", 443) {
		t.Errorf("rules %+v", steps)
	}
}

// TestRunningOnTheHost reads the running ruleset through the runner on the
// scanning host, where nft is installed.
func TestRunningOnTheHost(t *testing.T) {
	tg, err := target.OpenHost()
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	if findBin(tg, "nft") == "" {
		targettest.Missing(t, "nft is not installed on this host")
	}
	var ran []string
	f, err := collect(context.Background(), facts.NewStore(context.Background(), tg), func(_ context.Context, bin string, args ...string) ([]byte, error) {
		ran = append(ran, strings.Join(append([]string{bin}, args...), " "))
		if strings.HasSuffix(bin, "/nft") {
			return []byte("table inet f {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tiif \"lo\" accept\n\t}\n}\n"), nil
		}
		return []byte("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.Running == nil || !strings.HasSuffix(ran[0], "/nft list ruleset") {
		t.Fatalf("running %+v, ran %v, note %q", f.Running, ran, f.RunningNote)
	}
	rs, src := f.Effective()
	denies := false
	for _, c := range rs.BaseChains("input", IPv6) {
		_, final, _ := rs.Walk(c, IPv6)
		denies = denies || Denies(final)
	}
	if !strings.Contains(src, "running ruleset (nft list ruleset") || !denies {
		t.Errorf("effective %s: %+v", src, rs.Chains)
	}
}

// TestAllowsPortRestricted: an allow limited to some sources or some
// input interfaces does not keep a port reachable from everywhere.
func TestAllowsPortRestricted(t *testing.T) {
	for _, c := range []struct {
		rule string
		want bool
	}{
		{"tcp dport 22 accept", true},
		{"ip saddr 0.0.0.0/0 tcp dport 22 accept", true},
		{"iifname != \"lo\" tcp dport 22 accept", true},
		{"ip saddr 10.0.0.0/8 tcp dport 22 accept", false},
		{"ip saddr != 10.0.0.0/8 tcp dport 22 accept", false},
		{"ip saddr 192.0.2.7 tcp dport 22 accept", false},
		{"iifname \"eth1\" tcp dport 22 accept", false},
		{"iif \"lo\" tcp dport 22 accept", false},
		{"iifname != \"eth0\" tcp dport 22 accept", false},
		{"udp dport 22 accept", false},
		{"tcp dport 22 drop", false},
	} {
		listing := "table ip filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\t" + c.rule + "\n\t}\n}\n"
		rs, err := ParseNft([]byte(listing), "nft list ruleset")
		if err != nil {
			t.Fatalf("%s: %v", c.rule, err)
		}
		steps, _, _ := rs.Walk(rs.BaseChains("input", IPv4)[0], IPv4)
		if len(steps) != 1 {
			t.Fatalf("%s: %d steps", c.rule, len(steps))
		}
		if got := steps[0].Rule.AllowsPort("tcp", 22); got != c.want {
			t.Errorf("%s: AllowsPort(tcp, 22) = %v, want %v (%+v)", c.rule, got, c.want, steps[0].Rule.Matches)
		}
	}
	// iptables-save: ufw's rules carry no -s/-i; a restricted one does.
	save := "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -s 10.0.0.0/8 -p tcp --dport 443 -j ACCEPT\n-A INPUT -i wg0 -p udp --dport 53 -j ACCEPT\nCOMMIT\n"
	rs := &Ruleset{}
	if err := ParseIptables(rs, []byte(save), "rules.v4", "ip", "iptables", false); err != nil {
		t.Fatal(err)
	}
	steps, _, _ := rs.Walk(rs.BaseChains("input", IPv4)[0], IPv4)
	if len(steps) != 3 || !steps[0].Rule.AllowsPort("tcp", 22) || steps[1].Rule.AllowsPort("tcp", 443) || steps[2].Rule.AllowsPort("udp", 53) {
		t.Errorf("iptables steps %+v", steps)
	}
}

// plannedHost is the scanning host seen as a fix plan leaves it.
type plannedHost struct{ target.Target }

func (plannedHost) Planned() bool { return true }

// TestPlannedStateIsPersisted: the state a fix plan leaves is judged on
// the persisted configuration, never on the kernel's current ruleset.
func TestPlannedStateIsPersisted(t *testing.T) {
	tg, err := target.OpenHost()
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	f, err := collect(context.Background(), facts.NewStore(context.Background(), plannedHost{tg}), func(_ context.Context, bin string, _ ...string) ([]byte, error) {
		t.Errorf("ran %s for a planned state", bin)
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.Running != nil || !strings.Contains(f.RunningNote, "planned") {
		t.Errorf("running %v note %q", f.Running, f.RunningNote)
	}
	if rs, src := f.Effective(); rs != f.Persisted || src != "persisted configuration" {
		t.Errorf("effective %s", src)
	}
}
