package sshd

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
)

// Conn describes one connection the way `sshd -T -C user=…,host=…,
// addr=…,laddr=…,lport=…` does: Match blocks are evaluated against it.
type Conn struct {
	User  string
	Host  string
	Addr  string
	LAddr string
	LPort int
	// Groups are the user's primary and supplementary group names;
	// UserExists is false when the user is not in passwd, and then no
	// Match Group selects the connection (servconf.c
	// match_cfg_line_group: getpwnam fails).
	Groups     []string
	UserExists bool
	// none selects no conditional block: the connection `sshd -T`
	// without -C describes.
	none bool
}

// ConnFor builds a Conn with the user's groups taken from the target's
// account database as getgrouplist(3) finds them: the passwd primary
// group and every group listing the user as a member.
func ConnFor(db *accounts.DB, user, host, addr, laddr string, lport int) Conn {
	c := Conn{User: user, Host: host, Addr: addr, LAddr: laddr, LPort: lport}
	if db == nil {
		return c
	}
	for _, u := range db.Users {
		if u.Name != user {
			continue
		}
		c.UserExists = true
		for _, g := range db.Groups {
			if g.GID == u.GID {
				c.Groups = appendUniq(c.Groups, g.Name)
			}
		}
		break
	}
	if !c.UserExists {
		return c
	}
	for _, g := range db.Groups {
		for _, m := range g.Members {
			if m == user {
				c.Groups = appendUniq(c.Groups, g.Name)
			}
		}
	}
	return c
}

// matchState is the parser state sshd carries through one pass over the
// configuration (servconf.c parse_server_config_depth): whether lines
// are applied, whether the pass still only looks for Match blocks
// (SSHCFG_MATCH_ONLY, until the first Match of the file), and whether
// Match lines can never match (SSHCFG_NEVERMATCH, for files included from
// an inactive block).
type matchState struct {
	active, matchOnly, never bool
}

// activeIn replays sshd's state over chain, the Match current at each
// include level from the main file down to the directive's own file (nil
// where that file has had no Match yet). conn nil is the start-up pass,
// which decides the global options: lines are active until a Match, and
// only "Match all" matches. With a conn it is the per-connection
// reprocessing pass (parse_server_match_config), which applies only
// lines inside matching Match blocks; copy_set_server_options then lays
// them over the global options.
func activeIn(chain []*Match, conn *Conn) bool {
	st := matchState{active: conn == nil, matchOnly: conn != nil}
	for i, m := range chain {
		if i > 0 {
			// The include's flags: MATCH_ONLY is inherited while set,
			// otherwise an include in an inactive block never matches.
			if !st.matchOnly {
				st.never = !st.active
			}
		}
		if m != nil {
			st.active = !st.never && m.Matches(conn)
			st.matchOnly = false
		}
	}
	return st.active
}

// Matches reports whether the Match line selects conn (nil: the start-up
// pass, where only "all" matches). The criteria are ANDed, as in
// servconf.c match_cfg_line; an invalid line matches nothing (sshd
// refuses to start on it, and Problems say so).
func (m *Match) Matches(conn *Conn) bool {
	ok, err := evalMatch(m.Criteria, conn)
	return err == nil && ok
}

// evalMatch implements match_cfg_line of OpenSSH 9.x for the criteria
// All, User, Group, Host, Address, LocalAddress, LocalPort and RDomain.
func evalMatch(crit []string, conn *Conn) (bool, error) {
	if conn != nil && conn.none {
		conn = nil
	}
	crit = splitCriteria(crit)
	if len(crit) == 0 {
		return false, fmt.Errorf("one or more attributes required for Match")
	}
	result := true
	for i := 0; i < len(crit); i++ {
		attr := strings.ToLower(crit[i])
		if attr == "all" {
			if i > 0 || len(crit) > 1 {
				return false, fmt.Errorf("'all' cannot be combined with other Match attributes")
			}
			return true, nil
		}
		if i+1 >= len(crit) || crit[i+1] == "" {
			return false, fmt.Errorf("missing Match criteria for %s", crit[i])
		}
		i++
		arg := crit[i]
		switch attr {
		case "user":
			if conn == nil || patternList(conn.User, arg, false) != 1 {
				result = false
			}
		case "group":
			if conn == nil || !conn.UserExists || !groupsMatch(conn.Groups, arg) {
				result = false
			}
		case "host":
			if conn == nil || patternList(strings.ToLower(conn.Host), arg, true) != 1 {
				result = false
			}
		case "address", "localaddress":
			a := ""
			if conn != nil {
				a = conn.Addr
				if attr == "localaddress" {
					a = conn.LAddr
				}
			}
			r, err := addrMatchList(a, conn != nil, arg)
			if err != nil {
				return false, fmt.Errorf("invalid Match %s argument %q", crit[i-1], arg)
			}
			if r != 1 {
				result = false
			}
		case "localport":
			p, err := strconv.Atoi(arg)
			if err != nil || p <= 0 || p > 65535 {
				return false, fmt.Errorf("invalid LocalPort %q on Match line", arg)
			}
			if conn == nil || p != conn.LPort {
				result = false
			}
		case "rdomain":
			// -C rdomain= is not modelled: no connection has one.
			result = false
		default:
			return false, fmt.Errorf("unsupported Match attribute %s", crit[i-1])
		}
	}
	return result, nil
}

// splitCriteria splits "User=alice" the way sshd's strdelim does, which
// takes one "=" as a separator.
func splitCriteria(crit []string) []string {
	var out []string
	for _, c := range crit {
		if k, v, ok := strings.Cut(c, "="); ok && k != "" {
			out = append(out, k, v)
			continue
		}
		out = append(out, c)
	}
	return out
}

// patternList is match.c match_pattern_list: 1 when a positive pattern of
// the comma-separated list matches, -1 when a negated one ("!pat") does
// (which wins), 0 otherwise — so a list of negations alone never matches.
func patternList(s, list string, lower bool) int {
	got := 0
	for _, p := range strings.Split(list, ",") {
		neg := strings.HasPrefix(p, "!")
		if neg {
			p = p[1:]
		}
		if lower {
			p = strings.ToLower(p)
		}
		if MatchPattern(p, s) {
			if neg {
				return -1
			}
			got = 1
		}
	}
	return got
}

// groupsMatch is groupaccess.c ga_match_pattern_list: a negated match of
// any of the user's groups wins over positive matches of others.
func groupsMatch(groups []string, list string) bool {
	found := false
	for _, g := range groups {
		switch patternList(g, list, false) {
		case -1:
			return false
		case 1:
			found = true
		}
	}
	return found
}

// addrMatchList is addrmatch.c addr_match_list: each entry is a CIDR
// network (host bits must be clear) or else a wildcard pattern over the
// address text; "!" negates. It returns 1 (match), -1 (negated match) or
// 0, and an error for an empty entry or an inconsistent mask. With has
// false (no connection) only the syntax is checked.
func addrMatchList(addr string, has bool, list string) (int, error) {
	var try netip.Addr
	if has {
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return 0, nil
		}
		try = a
	}
	ret := 0
	for _, e := range strings.Split(list, ",") {
		neg := strings.HasPrefix(e, "!")
		if neg {
			e = e[1:]
		}
		if e == "" {
			return 0, fmt.Errorf("empty address entry")
		}
		pfx, cidr, err := parseCIDR(e)
		if err != nil {
			return 0, err
		}
		hit := false
		if cidr {
			hit = has && try.Is4() == pfx.Addr().Is4() && pfx.Contains(try)
		} else {
			hit = has && MatchPattern(e, addr)
		}
		if hit {
			if neg {
				return -1, nil
			}
			ret = 1
		}
	}
	return ret, nil
}

// parseCIDR is addr.c addr_pton_cidr: cidr is false when e is not an
// address (it is then a wildcard pattern); an error is an inconsistent
// network (a bad mask length or host bits set).
func parseCIDR(e string) (netip.Prefix, bool, error) {
	ip, bits, hasMask := strings.Cut(e, "/")
	if hasMask {
		if bits == "" || bits[0] < '0' || bits[0] > '9' {
			return netip.Prefix{}, false, nil
		}
		n, err := strconv.Atoi(bits)
		if err != nil || n > 128 {
			return netip.Prefix{}, false, nil
		}
	}
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false, nil
	}
	n := a.BitLen()
	if hasMask {
		n, _ = strconv.Atoi(bits)
		if n > a.BitLen() {
			return netip.Prefix{}, false, fmt.Errorf("inconsistent mask length for %q", e)
		}
	}
	p := netip.PrefixFrom(a, n)
	if p.Masked().Addr() != a {
		return netip.Prefix{}, false, fmt.Errorf("inconsistent mask length for %q", e)
	}
	return p, true, nil
}

// MaySelectUser reports whether the directive can apply to a connection
// of conn's user: false when a Match block around it (in its own file or
// one that included it) has a User or Group criterion the user fails,
// which makes the block, and everything it includes, inactive for every
// connection of that user. The other criteria depend on the client and
// are taken as possibly true.
func (d Directive) MaySelectUser(conn Conn) bool {
	for _, m := range d.chain {
		if m == nil {
			continue
		}
		crit := splitCriteria(m.Criteria)
		for i := 0; i+1 < len(crit); i += 2 {
			attr, arg := strings.ToLower(crit[i]), crit[i+1]
			switch {
			case attr == "user" && patternList(conn.User, arg, false) != 1:
				return false
			case attr == "group" && (!conn.UserExists || !groupsMatch(conn.Groups, arg)):
				return false
			}
		}
	}
	return true
}
