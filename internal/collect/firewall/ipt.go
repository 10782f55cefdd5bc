package firewall

import (
	"fmt"
	"strings"

	"github.com/cradle-cra/cradle/internal/textline"
)

// The iptables-save format iptables-restore reads (iptables-save(8)):
// `*table` starts a table, `:CHAIN POLICY [packets:bytes]` declares a
// chain (policy "-" for user chains), `-A CHAIN match… -j TARGET` appends
// a rule, `COMMIT` ends the table. Only the filter table is modelled: it
// is where the INPUT, FORWARD and OUTPUT policies live. ufw's rule files
// (before.rules, user.rules, …) use the same format.

// maxLine bounds one rule line.
const maxLine = 64 << 10

var iptHooks = map[string]string{"INPUT": "input", "FORWARD": "forward", "OUTPUT": "output"}

// ParseIptables reads an iptables-save file of family ("ip" for
// iptables, "ip6" for ip6tables) into rs, adding chains of manager.
// Rules for a chain not declared are an error, as for iptables-restore,
// except ufw files, which may append to chains of the other files
// (lenient).
func ParseIptables(rs *Ruleset, b []byte, file, family, manager string, lenient bool) error {
	table := ""
	find := func(name string) *Chain {
		for _, c := range rs.Chains {
			if c.Manager == manager && c.Family == family && c.Table == "filter" && c.Name == name {
				return c
			}
		}
		return nil
	}
	rules := 0
	for n, raw := range textline.Split(b) {
		num := n + 1
		if len(raw) > maxLine {
			return fmt.Errorf("%s:%d: line longer than %d bytes", file, num, maxLine)
		}
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
			continue
		case line == "COMMIT":
			table = ""
			continue
		}
		if table != "filter" {
			if table == "" {
				return fmt.Errorf("%s:%d: rule outside a table", file, num)
			}
			continue
		}
		if strings.HasPrefix(line, ":") {
			f := strings.Fields(line[1:])
			if len(f) < 2 {
				return fmt.Errorf("%s:%d: bad chain declaration", file, num)
			}
			c := find(f[0])
			if c == nil {
				if len(rs.Chains) >= maxChains {
					return fmt.Errorf("%s:%d: more than %d chains", file, num, maxChains)
				}
				c = &Chain{Manager: manager, Family: family, Table: "filter", Name: f[0], Hook: iptHooks[f[0]], Rules: []Rule{}, File: file, Line: num}
				rs.Chains = append(rs.Chains, c)
			}
			if c.Hook != "" && f[1] != "-" {
				c.Policy = strings.ToLower(f[1])
			}
			continue
		}
		args, err := shellWords(line)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", file, num, err)
		}
		if len(args) > 0 && strings.HasPrefix(args[0], "[") {
			args = args[1:] // [packets:bytes] counters
		}
		if len(args) < 2 {
			return fmt.Errorf("%s:%d: bad rule", file, num)
		}
		op, chain := args[0], args[1]
		insert := false
		switch op {
		case "-A", "--append":
		case "-I", "--insert":
			insert = true
		default:
			return fmt.Errorf("%s:%d: unsupported command %q", file, num, op)
		}
		c := find(chain)
		if c == nil {
			// Built-in chains exist without a declaration (policy
			// ACCEPT); user chains must be declared first.
			if !lenient && iptHooks[chain] == "" {
				return fmt.Errorf("%s:%d: chain %s not declared", file, num, chain)
			}
			c = &Chain{Manager: manager, Family: family, Table: "filter", Name: chain, Hook: iptHooks[chain], Rules: []Rule{}, File: file, Line: num}
			rs.Chains = append(rs.Chains, c)
		}
		rest := args[2:]
		if insert && len(rest) > 0 && isNumber(rest[0]) {
			rest = rest[1:]
		}
		if rules++; rules > maxRules {
			return fmt.Errorf("%s: more than %d rules", file, maxRules)
		}
		r := iptRule(rest, family)
		r.Text, r.File, r.Line = line, file, num
		if insert {
			c.Rules = append([]Rule{r}, c.Rules...)
		} else {
			c.Rules = append(c.Rules, r)
		}
	}
	if table != "" {
		return fmt.Errorf("%s: table %s without COMMIT", file, table)
	}
	if !lenient {
		// iptables-restore refuses a jump to a chain that does not
		// exist and is no target extension.
		for _, c := range rs.Chains {
			for _, r := range c.Rules {
				if (r.Verdict == Jump || r.Verdict == Goto) && find(r.Target) == nil && !iptTargets[r.Target] {
					return fmt.Errorf("%s:%d: jump to %s, which is neither a chain nor a target", r.File, r.Line, r.Target)
				}
			}
		}
	}
	return nil
}

// iptTargets are the target extensions a rule may name instead of a chain.
var iptTargets = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range strings.Fields("LOG NFLOG ULOG MARK CONNMARK CT NOTRACK TRACE AUDIT TCPMSS DNAT SNAT MASQUERADE REDIRECT " +
		"TPROXY CLASSIFY DSCP TOS TTL HL SET NFQUEUE QUEUE CHECKSUM SYNPROXY TEE LED IDLETIMER SECMARK CONNSECMARK " +
		"RATEEST HMARK CLUSTERIP NETMAP TCPOPTSTRIP ECN") {
		m[t] = true
	}
	return m
}()

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// shellWords splits a line as iptables-restore does: blanks separate,
// double quotes group (with \" inside).
func shellWords(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\' && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
			in = true
		case !quoted && (c == ' ' || c == '\t'):
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote")
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}

var iptVerdicts = map[string]string{"ACCEPT": Accept, "DROP": Drop, "REJECT": Reject, "RETURN": Return}

// iptNoArg are options taking no value.
var iptNoArg = map[string]bool{"--syn": true, "-f": true, "--fragment": true, "--rcheck": true, "--update": true, "--set": true, "--remove": true, "--rsource": true, "--rdest": true, "--log-uid": true, "--log-tcp-options": true, "--log-ip-options": true, "--log-tcp-sequence": true}

// iptIgnored are options that do not restrict the match.
var iptIgnored = map[string]bool{"--comment": true, "--log-prefix": true, "--log-level": true, "--reject-with": true, "--log-uid": true, "--log-tcp-options": true, "--log-ip-options": true, "--log-tcp-sequence": true}

func iptRule(args []string, family string) Rule {
	var r Rule
	neg := false
	add := func(key string, vs ...string) {
		r.Matches = append(r.Matches, Match{Key: key, Neg: neg, Values: vs})
	}
	split := func(v string) []string { return strings.Split(v, ",") }
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "!" {
			neg = true
			continue
		}
		val := func() string {
			if i+1 < len(args) && args[i+1] == "!" { // old "-i ! lo" form
				neg = !neg
				i++
			}
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch a {
		case "-i", "--in-interface":
			add(KeyIIf, val())
		case "-o", "--out-interface":
			add(KeyOIf, val())
		case "-s", "--source", "--src":
			add(KeySaddr, split(val())...)
		case "-d", "--destination", "--dst":
			add(KeyDaddr, split(val())...)
		case "-p", "--protocol":
			add(KeyProto, strings.ToLower(val()))
		case "--dport", "--destination-port", "--dports", "--destination-ports":
			vs := split(val())
			for j := range vs {
				vs[j] = portValue(strings.ReplaceAll(vs[j], ":", "-"))
			}
			add(KeyDport, vs...)
		case "--sport", "--source-port", "--sports", "--source-ports":
			add(KeySport, split(val())...)
		case "--ctstate", "--state":
			add(KeyCTState, lower(split(val()))...)
		case "-m", "--match":
			val() // the module; its options follow
		case "-j", "--jump", "-g", "--goto":
			t := val()
			// Any other target is a chain (a target extension such as
			// LOG names no chain, and Walk passes over it).
			if v, ok := iptVerdicts[t]; ok {
				r.Verdict = v
			} else if t != "" {
				r.Verdict, r.Target = Jump, t
				if a == "-g" || a == "--goto" {
					r.Verdict = Goto
				}
			}
		case "-4":
			if family == "ip6" {
				return Rule{Family: IPv4, Verdict: "", Matches: []Match{{Key: KeyOther, Values: []string{"-4"}}}}
			}
		case "-6":
			if family == "ip" {
				return Rule{Family: IPv6, Verdict: "", Matches: []Match{{Key: KeyOther, Values: []string{"-6"}}}}
			}
		default:
			if iptIgnored[a] {
				if !iptNoArg[a] {
					val()
				}
			} else if strings.HasPrefix(a, "-") {
				v := ""
				if !iptNoArg[a] && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
					v = " " + val()
				}
				add(KeyOther, a+v)
			} else {
				add(KeyOther, a)
			}
		}
		neg = false
	}
	return r
}
