package firewall

import (
	"strings"
	"testing"
)

// walkAll evaluates every base chain, exercising jumps and loops.
func walkAll(rs *Ruleset) {
	for _, hook := range []string{"input", "forward"} {
		for _, fam := range []string{IPv4, IPv6} {
			for _, c := range rs.BaseChains(hook, fam) {
				steps, _, _ := rs.Walk(c, fam)
				for _, st := range steps {
					st.Rule.IsLoopbackAccept()
					st.Rule.IsSpoofDrop(fam)
					st.Rule.IsEstablishedAccept()
					st.Rule.AllowsPort("tcp", 22)
				}
			}
		}
	}
}

func FuzzParseNft(f *testing.F) {
	f.Add(nftGood)
	f.Add("table inet f {\n chain base { type filter hook input priority 0; jump a }\n chain a { jump base }\n}\n")
	f.Add("define A = $A\ntable ip t { chain c { type filter hook input priority 0; policy $A; tcp dport $A accept; } }\n")
	f.Add("add table ip6 f\nadd chain ip6 f i { type filter hook input priority 0 ; policy drop ; }\ninsert rule ip6 f i position 1 iif lo accept\n")
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 1<<16 {
			return
		}
		rs, _ := ParseNft([]byte(src), "fuzz.nft")
		if rs != nil {
			walkAll(rs)
		}
	})
}

func FuzzParseIptables(f *testing.F) {
	f.Add(rulesV4, false)
	f.Add(beforeRules, true)
	f.Add("*filter\n:INPUT DROP [0:0]\n:a - [0:0]\n-A INPUT -j a\n-A a -j INPUT\n-I INPUT 1 ! -i lo -s 127.0.0.1 -j DROP\nCOMMIT\n", false)
	f.Fuzz(func(t *testing.T, src string, lenient bool) {
		if len(src) > 1<<16 {
			return
		}
		rs := &Ruleset{}
		_ = ParseIptables(rs, []byte(src), "rules.v4", "ip", Iptables, lenient)
		walkAll(rs)
	})
}

func FuzzParseZone(f *testing.F) {
	f.Add(`<?xml version="1.0"?><zone target="DROP"><service name="ssh"/><port protocol="tcp" port="1-2"/><rule family="ipv4"><source address="127.0.0.0/8"/><drop/></rule></zone>`)
	f.Add(`<!DOCTYPE zone [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><zone target="&b;"/>`)
	f.Add(strings.Repeat("<zone>", 40))
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 1<<16 {
			return
		}
		_, _ = ParseZone([]byte(src), "z", "z.xml")
		_, _ = ParseServicePorts([]byte(src), "s.xml")
	})
}
