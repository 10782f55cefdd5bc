package sudoers

import (
	"slices"
	"strconv"
	"strings"
)

// This file evaluates the policy the way sudo does (sudoers(5) and
// plugins/sudoers in sudo 1.9): aliases are expanded per type with
// negation, lists are matched last-match-wins, Defaults are applied in
// file order, and a command is decided by the last matching Cmnd_Spec.

// Principal is who runs sudo: a user, their groups, and the host.
type Principal struct {
	User   string
	UID    int
	Groups []string
	// Host is the host name sudo matches Host_Lists against; "" when
	// unknown: then only ALL matches, as for a host named nowhere.
	Host string
}

// match is sudo's tri-state list result.
type match int

const (
	unspec match = iota
	allow
	deny
)

// maxAliasDepth bounds alias nesting and maxVisits the items one
// evaluation visits: sudo refuses alias cycles, and "A = B, B; B = C, C;
// …" would otherwise expand exponentially.
const (
	maxAliasDepth = 32
	maxVisits     = 1 << 16
)

// cutNeg strips leading '!'s: an odd number negates.
func cutNeg(item string) (string, bool) {
	neg := false
	item = strings.TrimSpace(item)
	for strings.HasPrefix(item, "!") {
		neg = !neg
		item = strings.TrimSpace(item[1:])
	}
	return item, neg
}

func (p *Policy) alias(typ, name string) ([]string, bool) {
	m, ok := p.Typed[typ][name]
	return m, ok
}

// listMatch walks a list from its end: the last item that matches
// decides, a negated one denying (sudoers(5): "the last match wins").
func (p *Policy) listMatch(typ string, list []string, one func(string) bool, depth int) match {
	budget := maxVisits
	return p.listMatchN(typ, list, one, depth, &budget)
}

func (p *Policy) listMatchN(typ string, list []string, one func(string) bool, depth int, budget *int) match {
	for i := len(list) - 1; i >= 0; i-- {
		if *budget--; *budget < 0 {
			return unspec
		}
		item, neg := cutNeg(list[i])
		r := unspec
		if members, ok := p.alias(typ, item); ok && depth < maxAliasDepth {
			r = p.listMatchN(typ, members, one, depth+1, budget)
		} else if item == "ALL" || one(item) {
			r = allow
		}
		if r == unspec {
			continue
		}
		if neg {
			if r == allow {
				return deny
			}
			return allow
		}
		return r
	}
	return unspec
}

// userItem matches one User_List item other than ALL and aliases: a
// name, #uid, %group (%:group and +netgroup need the system's NSS and
// match nothing here).
func (pr *Principal) userItem(item string) bool {
	switch {
	case strings.HasPrefix(item, "%:"), strings.HasPrefix(item, "+"), strings.HasPrefix(item, "%#"):
		return false
	case strings.HasPrefix(item, "%"):
		g := unquote(item[1:])
		for _, x := range pr.Groups {
			if x == g {
				return true
			}
		}
		return false
	case strings.HasPrefix(item, "#"):
		uid, err := strconv.Atoi(item[1:])
		return err == nil && uid == pr.UID
	}
	return unquote(item) == pr.User
}

// UserMatches reports whether a User_List admits pr.
func (p *Policy) UserMatches(list []string, pr Principal) bool {
	return p.listMatch("User", list, pr.userItem, 0) == allow
}

// HostMatches reports whether a Host_List admits pr's host; host names
// compare case-insensitively, addresses and netgroups match nothing.
func (p *Policy) HostMatches(list []string, pr Principal) bool {
	return p.listMatch("Host", list, func(h string) bool { return pr.Host != "" && strings.EqualFold(h, pr.Host) }, 0) == allow
}

// RunasUsers and RunasGroups split a Runas_Spec "users : groups".
func RunasUsers(runas string) []string {
	u, _, _ := strings.Cut(runas, ":")
	return trimAll(splitList(u))
}

// RunasGroups is the group part of a Runas_Spec.
func RunasGroups(runas string) []string {
	_, g, _ := strings.Cut(runas, ":")
	return trimAll(splitList(g))
}

// RunasMatches reports whether spec s lets pr run commands as target
// (with its groups): no Runas_Spec means only sudo's runas_default, root.
func (p *Policy) RunasMatches(s *Spec, target Principal) bool {
	if strings.TrimSpace(s.RunAs) == "" {
		return target.User == "root"
	}
	users := RunasUsers(s.RunAs)
	if len(users) == 0 {
		return false // "(:group)" runs as the invoking user only
	}
	return p.listMatch("Runas", users, target.userItem, 0) == allow
}

// Expand returns the Cmnd_List items with Cmnd_Aliases replaced by their
// members, negation distributed as sudo does ("!ALIAS" negates every
// member, "!!x" is x), each item with at most one leading '!'.
func (p *Policy) Expand(cmds []string) []string {
	return p.ExpandAliases("Cmnd", cmds)
}

// ExpandAliases returns a list of typ ("User", "Host", "Runas", "Cmnd")
// with aliases replaced by their members, negation distributed, as sudo
// -l prints them; bounded like listMatch.
func (p *Policy) ExpandAliases(typ string, list []string) []string {
	var out []string
	budget := maxVisits
	var walk func(l []string, neg bool, depth int)
	walk = func(l []string, neg bool, depth int) {
		for _, x := range l {
			if budget--; budget < 0 {
				return
			}
			item, n := cutNeg(x)
			if members, ok := p.alias(typ, item); ok && depth < maxAliasDepth {
				walk(members, neg != n, depth+1)
				continue
			}
			if neg != n {
				item = "!" + item
			}
			out = append(out, item)
		}
	}
	walk(list, false, 0)
	return out
}

// cmndItem matches one command item (no alias) against path with no
// arguments: ALL, the path itself (without arguments or with the
// explicit empty argument list ""), or a directory ending in '/'.
func cmndItem(item, path string) bool {
	if item == "ALL" {
		return true
	}
	cmd, args, _ := strings.Cut(item, " ")
	args = strings.TrimSpace(args)
	if args != "" && args != `""` {
		return false
	}
	if strings.HasSuffix(cmd, "/") {
		return strings.HasPrefix(path, cmd) && !strings.Contains(path[len(cmd):], "/")
	}
	return cmd == path
}

// CmndMatches is sudo's decision for one Cmnd_Spec list item set.
func (p *Policy) cmndMatch(cmds []string, path string) match {
	return p.listMatch("Cmnd", cmds, func(c string) bool { return cmndItem(c, path) }, 0)
}

// Decision is sudo's answer for one command.
type Decision struct {
	// Allowed: the last matching Cmnd_Spec permits the command.
	Allowed bool
	// Matched is that Cmnd_Spec, nil when no rule names the command.
	Matched *Spec
	// Password: sudo asks for a password (authentication on after the
	// Defaults and the NOPASSWD/PASSWD tags).
	Password bool
	// By is the setting that decided Password: a tag or a Defaults entry.
	By string
}

// Lookup decides whether pr may run path (no arguments) as target, as
// sudoers_lookup does: user specifications are searched from the last,
// and the first (in file order, the last) Cmnd_Spec whose users, host,
// runas and command match decides. Whether a password is needed comes
// from the Defaults (see Flag) unless the spec's tags say otherwise.
func (p *Policy) Lookup(pr, target Principal, path string) Decision {
	var d Decision
	for i := len(p.Specs) - 1; i >= 0; i-- {
		s := &p.Specs[i]
		if !p.UserMatches(s.Users, pr) || !p.HostMatches(s.Hosts, pr) || !p.RunasMatches(s, target) {
			continue
		}
		if r := p.cmndMatch(s.Commands, path); r != unspec {
			d.Allowed, d.Matched = r == allow, s
			break
		}
	}
	on, by := p.Flag("authenticate", true, pr, target, path)
	d.Password, d.By = on, by
	if d.Matched != nil {
		switch {
		case d.Matched.HasTag("NOPASSWD"):
			d.Password, d.By = false, "NOPASSWD"
		case d.Matched.HasTag("PASSWD"):
			d.Password, d.By = true, "PASSWD"
		}
	}
	return d
}

// Applies reports whether a Defaults entry applies to pr on its host,
// running path as target. path "" leaves command-bound entries out; a
// path starting with '!' is a command binding itself, so only entries
// with exactly that binding apply (how the checks ask "what does this
// Defaults!cmnd line change").
func (p *Policy) Applies(d *Default, pr, target Principal, path string) bool {
	if d.Binding == "" {
		return true
	}
	list := splitList(d.Binding[1:])
	switch d.Binding[0] {
	case ':':
		return p.UserMatches(list, pr)
	case '@':
		return p.HostMatches(list, pr)
	case '>':
		return p.listMatch("Runas", list, target.userItem, 0) == allow
	case '!':
		if strings.HasPrefix(path, "!") {
			return d.Binding == path
		}
		return path != "" && p.cmndMatch(list, path) == allow
	}
	return false
}

// Setting is the Defaults entry that decides option name for pr running
// path as target, nil when none does (sudo's built-in value holds). sudo
// 1.9 applies the global, host, user and runas entries in one pass in
// file order, and the command entries afterwards
// (plugins/sudoers/defaults.c, update_defaults), so a later "Defaults
// authenticate" undoes an earlier "Defaults:user !authenticate" while
// "Defaults!cmnd" beats them all.
func (p *Policy) Setting(name string, pr, target Principal, path string) *Default {
	var by *Default
	for _, cmnd := range []bool{false, true} {
		for i := range p.Defaults {
			d := &p.Defaults[i]
			if d.Name != name || (d.Binding != "" && d.Binding[0] == '!') != cmnd || !p.Applies(d, pr, target, path) {
				continue
			}
			by = d
		}
	}
	return by
}

// Flag is the value of a boolean option for pr running path as target,
// def when no entry sets it; by names the deciding entry ("" for def).
func (p *Policy) Flag(name string, def bool, pr, target Principal, path string) (on bool, by string) {
	d := p.Setting(name, pr, target, path)
	if d == nil {
		return def, ""
	}
	return !d.Negated && d.Op == "", d.String()
}

// String renders the entry as a sudoers line would ("Defaults:alice
// !authenticate").
func (d *Default) String() string {
	s := "Defaults" + d.Binding + " "
	switch {
	case d.Negated:
		s += "!" + d.Name
	case d.Op != "":
		s += d.Name + d.Op + d.Value
	default:
		s += d.Name
	}
	return s
}

// Matching lists the Defaults entries sudo -l shows as "Matching Defaults
// entries" for pr: global ones and those bound to a host or user that
// match, in file order; runas- and command-bound ones are listed apart.
func (p *Policy) Matching(pr Principal) []Default {
	var out []Default
	for i := range p.Defaults {
		d := &p.Defaults[i]
		if d.Binding != "" && (d.Binding[0] == '>' || d.Binding[0] == '!') {
			continue
		}
		if p.Applies(d, pr, Principal{}, "") {
			out = append(out, *d)
		}
	}
	return out
}

// Privileges lists the Cmnd_Specs sudo -l shows for pr, in file order.
func (p *Policy) Privileges(pr Principal) []*Spec {
	var out []*Spec
	for i := range p.Specs {
		s := &p.Specs[i]
		if p.UserMatches(s.Users, pr) && p.HostMatches(s.Hosts, pr) {
			out = append(out, s)
		}
	}
	return out
}

// maxTargets bounds the run-as users Decisions considers (each costs one
// pass over the Defaults per kind of user); real policies name a few.
const maxTargets = 256

// Decided is one distinct outcome of an option over the situations a
// policy can meet: the deciding entry (nil: sudo's built-in value) and
// an example of who gets it.
type Decided struct {
	Entry *Default
	// Who is the first situation decided so: "alice", "alice as
	// postgres", "alice running !/usr/bin/vi", "any user".
	Who string
}

// Decisions evaluates option name for every user given (Host is set to
// the policy's host name), for a user named in no list, as root and as
// every user a "Defaults>" entry names, without and with each
// "Defaults!" binding of the option; it returns each distinct deciding
// entry once, in the order met.
func (p *Policy) Decisions(name string, users []Principal) []Decided {
	who := append([]Principal{{User: "\x00", UID: -1}}, users...)
	targets := []Principal{{User: "root", Groups: []string{"root"}}}
	cmnds := []string{""}
	for i := range p.Defaults {
		d := &p.Defaults[i]
		if d.Name != name || d.Binding == "" {
			continue
		}
		switch d.Binding[0] {
		case ':':
			// Users the binding names who are not local (a directory
			// service's) still get what it sets.
			for _, u := range p.ExpandAliases("User", splitList(d.Binding[1:])) {
				u = strings.TrimSpace(u)
				var pr Principal
				switch {
				case u == "" || u[0] == '!' || u == "ALL" || u[0] == '+' || strings.HasPrefix(u, "%:") || strings.HasPrefix(u, "%#"):
					continue
				case u[0] == '%':
					pr = Principal{User: "\x00" + u, UID: -1, Groups: []string{unquote(u[1:])}}
				case u[0] == '#':
					n, err := strconv.Atoi(u[1:])
					if err != nil {
						continue
					}
					pr = Principal{User: u, UID: n}
				default:
					pr = Principal{User: unquote(u), UID: -1}
				}
				if !slices.ContainsFunc(who, func(x Principal) bool { return x.User == pr.User }) {
					who = append(who, pr)
				}
			}
		case '>':
			for _, u := range p.ExpandAliases("Runas", splitList(d.Binding[1:])) {
				if u = strings.TrimSpace(u); len(targets) < maxTargets && u != "" && u[0] != '!' && u[0] != '%' && u[0] != '#' && u != "ALL" &&
					!slices.ContainsFunc(targets, func(x Principal) bool { return x.User == u }) {
					targets = append(targets, Principal{User: u, UID: -1})
				}
			}
		case '!':
			// Each binding is judged on its own (with the pass before it),
			// so overlapping command lists need no command to stand for.
			if !slices.Contains(cmnds, d.Binding) {
				cmnds = append(cmnds, d.Binding)
			}
		}
	}
	// Users that the same ":" bindings match get the same value: evaluate
	// one of each kind, which keeps a long passwd cheap.
	var userBound []*Default
	for i := range p.Defaults {
		if d := &p.Defaults[i]; d.Name == name && strings.HasPrefix(d.Binding, ":") {
			userBound = append(userBound, d)
		}
	}
	kinds := map[string]bool{}
	var out []Decided
	seen := map[*Default]bool{}
	for _, pr := range who {
		pr.Host = p.Hostname
		key := make([]byte, len(userBound))
		for i, d := range userBound {
			if p.Applies(d, pr, Principal{}, "") {
				key[i] = 1
			}
		}
		if kinds[string(key)] {
			continue
		}
		kinds[string(key)] = true
		for _, as := range targets {
			for _, c := range cmnds {
				// A command binding's own entry beats the first pass, so
				// it decides the same for every user and run-as user.
				if c != "" && (pr.User != "\x00" || as.User != "root") {
					continue
				}
				d := p.Setting(name, pr, as, c)
				if seen[d] {
					continue
				}
				seen[d] = true
				w := pr.User
				switch {
				case w == "\x00":
					w = "any user"
				case strings.HasPrefix(w, "\x00"):
					w = "members of " + w[1:]
				}
				if as.User != "root" {
					w += " as " + as.User
				}
				if c != "" {
					w += " running " + c[1:]
				}
				out = append(out, Decided{Entry: d, Who: w})
			}
		}
	}
	return out
}
