package sysctl

import (
	"path"
	"sort"
	"strconv"
	"strings"
)

// aliases maps every other name of a kernel variable to the name cradle
// reports it under. The kernel serves net.ipv4.ip_forward from the same
// int as net.ipv4.conf.all.forwarding (net/ipv4/devinet.c,
// ctl_forward_entry), so a file that sets either name sets both.
var aliases = map[string]string{
	"net.ipv4.ip_forward": "net.ipv4.conf.all.forwarding",
}

// Canonical returns the name cradle resolves key under: the dotted form,
// with aliases of one kernel variable mapped to one name.
func Canonical(key string) string {
	key = NormalizeKey(key)
	if c, ok := aliases[key]; ok {
		return c
	}
	return key
}

// slashKey is key in /proc/sys path form, which globs are matched
// against (a "*" never crosses a "/", as in glob(3)).
func slashKey(key string) string { return strings.TrimPrefix(ProcPath(key), "proc/sys/") }

// options returns the assignments in the order systemd-sysctl applies
// them: one entry per name, a later assignment with a different value
// (or a "-key" exclusion) replacing the earlier one and moving to the
// end, a repeat of the same value keeping the earlier place
// (src/sysctl/sysctl.c, parse_file in systemd 252).
func (c *Config) options() []*Assignment {
	var order []*Assignment
	at := map[string]int{}
	for i := range c.Assignments {
		a := &c.Assignments[i]
		if j, ok := at[a.Key]; ok {
			prev := order[j]
			if prev.Exclude == a.Exclude && prev.Value == a.Value {
				continue
			}
			order[j] = nil
		}
		at[a.Key] = len(order)
		order = append(order, a)
	}
	out := order[:0]
	for _, a := range order {
		if a != nil {
			out = append(out, a)
		}
	}
	return out
}

// state is one variable after the simulated boot.
type state struct {
	value string
	by    *Assignment
	via   string
}

// sideEffect is what the kernel does to other variables when one is
// written: old is the value before the write (empty when unknown).
type sideEffect func(s *sim, by *Assignment, v, old string)

// sideEffects are the writes the kernel makes on its own, keyed by the
// canonical name written (net/ipv4/devinet.c devinet_sysctl_forward and
// inet_forward_change; net/ipv6/addrconf.c addrconf_sysctl_forward and
// addrconf_sysctl_disable). Each acts only when the write changes the
// value: writing the value a variable already has leaves the others
// alone, which the differential test against systemd-sysctl confirms.
var sideEffects = map[string]sideEffect{
	"net.ipv4.conf.all.forwarding": func(s *sim, by *Assignment, v, old string) {
		if old != "" && intOf(old) == intOf(v) {
			return // IPv4 propagates only a change
		}
		on := intOf(v) != 0
		s.set("net.ipv4.conf.default.forwarding", v, by, "net.ipv4.conf.all.forwarding")
		s.setIfaces("net.ipv4.conf.", ".forwarding", v, by)
		ar := "1"
		if on {
			ar = "0"
		}
		s.set("net.ipv4.conf.all.accept_redirects", ar, by, "net.ipv4.conf.all.forwarding (the kernel sets accept_redirects to the opposite of forwarding)")
	},
	"net.ipv6.conf.all.forwarding": func(s *sim, by *Assignment, v, old string) {
		if old != "" && intOf(old) == intOf(v) {
			return // addrconf_sysctl_forward acts only on a change
		}
		s.set("net.ipv6.conf.default.forwarding", v, by, "net.ipv6.conf.all.forwarding")
		s.setIfaces("net.ipv6.conf.", ".forwarding", v, by)
	},
	"net.ipv6.conf.all.disable_ipv6": func(s *sim, by *Assignment, v, old string) {
		if old != "" && intOf(old) == intOf(v) {
			return // addrconf_sysctl_disable acts only on a change
		}
		s.set("net.ipv6.conf.default.disable_ipv6", v, by, "net.ipv6.conf.all.disable_ipv6")
		s.setIfaces("net.ipv6.conf.", ".disable_ipv6", v, by)
	},
}

func intOf(v string) int64 {
	f, _, _ := strings.Cut(strings.TrimSpace(v), " ")
	n, err := strconv.ParseInt(f, 10, 64)
	if err != nil {
		return -1 << 62
	}
	return n
}

// sim replays systemd-sysctl's writes over the variables that matter to
// one query.
type sim struct {
	vars     map[string]*state // canonical name -> state; nil state: not written
	universe []string          // names a glob can expand to, in glob(3) order
}

func (s *sim) set(key, v string, by *Assignment, via string) {
	st := s.vars[key]
	if st == nil {
		st = &state{}
		s.vars[key] = st
	}
	st.value, st.by, st.via = v, by, via
}

func (s *sim) setIfaces(prefix, suffix, v string, by *Assignment) {
	for _, k := range s.universe {
		k = Canonical(k)
		if strings.HasPrefix(k, prefix) && strings.HasSuffix(k, suffix) {
			dev := strings.TrimSuffix(strings.TrimPrefix(k, prefix), suffix)
			if dev != "all" && dev != "default" && !strings.Contains(dev, ".") {
				s.set(k, v, by, strings.TrimSuffix(prefix, ".")+".all"+suffix)
			}
		}
	}
}

// write applies one write of name as the kernel would.
func (s *sim) write(name, v string, by *Assignment) {
	k := Canonical(name)
	old := ""
	if st := s.vars[k]; st != nil {
		old = st.value
	} else if d, ok := Default(k, nil); ok {
		old = d
	}
	via := ""
	if k != NormalizeKey(name) {
		via = NormalizeKey(name)
	}
	s.set(k, v, by, via)
	if f := sideEffects[k]; f != nil {
		f(s, by, v, old)
	}
}

// universe lists the names a glob may expand to offline: every name
// assigned explicitly, the query, the kernel defaults cradle knows, and
// the all/default variants of per-interface keys.
func (c *Config) universe(query string) []string {
	seen := map[string]bool{}
	add := func(k string) {
		seen[k] = true
		for _, fam := range []string{"net.ipv4.conf.", "net.ipv6.conf."} {
			if rest, ok := strings.CutPrefix(k, fam); ok {
				if _, leaf, ok := strings.Cut(rest, "."); ok && !strings.Contains(leaf, ".") {
					seen[fam+"all."+leaf] = true
					seen[fam+"default."+leaf] = true
				}
			}
		}
	}
	if query != "" {
		add(NormalizeKey(query))
		add(Canonical(query))
	}
	for _, a := range c.Assignments {
		if !a.Glob {
			add(a.Key)
		}
	}
	for k := range kernelDefaults {
		add(k)
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return slashKey(out[i]) < slashKey(out[j]) })
	return out
}

// simulate replays the persisted configuration as systemd-sysctl applies
// it at boot: options in order, a glob expanding to the names it matches
// in glob(3) order except names assigned or excluded explicitly, the
// kernel's side effects included.
func (c *Config) simulate(query string) *sim {
	opts := c.options()
	named := map[string]bool{}
	for _, a := range opts {
		if !a.Glob {
			named[a.Key] = true
		}
	}
	s := &sim{vars: map[string]*state{}, universe: c.universe(query)}
	for _, a := range opts {
		switch {
		case a.Exclude:
		case a.Glob:
			pat := slashKey(a.Key)
			for _, k := range s.universe {
				if ok, _ := path.Match(pat, slashKey(k)); ok && !named[k] {
					s.write(k, a.Value, a)
				}
			}
		default:
			s.write(a.Key, a.Value, a)
		}
	}
	return s
}

// Persisted returns the value key has after the persisted configuration
// is applied at boot, and the assignment that set it. Value is the
// resulting value, which differs from the line's own when the kernel set
// it as a side effect (Via names the variable written); Key is the name
// the line wrote.
func (c *Config) Persisted(key string) (Assignment, bool) {
	st := c.resolved(key)
	if st == nil {
		return Assignment{}, false
	}
	a := *st.by
	a.Value = st.value
	a.Via = st.via
	return a, true
}

// resolved returns key's state after the simulated boot. One replay over
// every name the configuration and the defaults know serves all such
// queries (a scan asks for dozens of keys); another name gets a replay of
// its own, as a glob may reach it.
func (c *Config) resolved(key string) *state {
	c.once.Do(func() {
		c.base = c.simulate("")
		c.known = map[string]bool{}
		for _, k := range c.base.universe {
			c.known[k] = true
		}
	})
	if c.known[NormalizeKey(key)] {
		return c.base.vars[Canonical(key)]
	}
	return c.simulate(key).vars[Canonical(key)]
}

// Overridden lists the earlier explicit assignments of key, under any of
// its names, that the winning one overrides, for evidence.
func (c *Config) Overridden(key string) []Assignment {
	w, ok := c.Persisted(key)
	ck := Canonical(key)
	var out []Assignment
	for _, a := range c.Assignments {
		if a.Glob || a.Exclude || Canonical(a.Key) != ck {
			continue
		}
		if ok && a.File == w.File && a.Num == w.Num {
			break
		}
		out = append(out, a)
	}
	return out
}
