package access

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/target"
)

// consoleWay adds the password login on a terminal (PAM service login).
func (b *builder) consoleWay(a *Account) {
	w := Way{Kind: KindConsole, Name: "console password login", Status: Works}
	switch {
	case !a.ShellUsable:
		w.Status, w.Reason = Refused, a.ShellReason
	case a.Password == PasswordUnknown:
		w.Status, w.Reason = Unknown, "password unknown: /etc/shadow unreadable"
	case a.Password != PasswordUsable:
		w.Status, w.Reason = Refused, "password "+a.Password
	default:
		v := b.pamAccount("login", a)
		a.PAM["login"] = v
		if v.Status == PAMNotUsed {
			v = a.Expiry // login(1) without PAM reads shadow itself
		}
		w.Status, w.Reason = fromPAM(v, w.Status, w.Reason)
	}
	a.Ways = append(a.Ways, w)
}

// maxAliasDepth bounds alias expansion (aliases may name aliases).
const maxAliasDepth = 8

// sudoWays adds one way per (run-as, command) the sudoers policy grants
// the account, on this host. sudo uses the last matching rule for a
// command, so a grant's tags come from the last rule whose users, run-as
// list and command cover it.
func (b *builder) sudoWays(a *Account) {
	if b.sudo == nil || !b.sudo.Present {
		return
	}
	type cand struct {
		runas, cmd string
		noPass     bool
		src        string
	}
	var mine []cand
	for _, sp := range b.sudo.Specs {
		if !b.sudoUsers(sp.Users, a, 0) || !b.sudoHosts(sp.Hosts) {
			continue
		}
		runas := strings.Join(strings.Fields(sp.RunAs), "")
		if runas == "" {
			runas = "root"
		}
		for _, c := range b.expandCmnd(sp.Commands, 0) {
			mine = append(mine, cand{runas: runas, cmd: c, noPass: sp.HasTag("NOPASSWD"), src: fmt.Sprintf("%s:%d", sp.File, sp.Line)})
		}
	}
	if len(mine) == 0 {
		return
	}
	auth := b.sudoAuthenticate(a)
	var v Verdict
	if b.pam != nil && !b.pam.Present {
		v = Verdict{Status: PAMNotUsed}
	} else {
		v = b.pamAccount("sudo", a)
		a.PAM["sudo"] = v
	}
	seen := map[string]bool{}
	for i, c := range mine {
		if strings.HasPrefix(c.cmd, "!") {
			continue
		}
		key := c.runas + "\x00" + c.cmd
		if seen[key] {
			continue
		}
		seen[key] = true
		// The last rule covering this command decides its tags.
		g := Grant{RunAs: c.runas, Command: c.cmd, NoPassword: c.noPass, Source: c.src}
		denied := ""
		for _, l := range mine[i+1:] {
			if !covers(l.runas, c.runas) {
				continue
			}
			if l.cmd == c.cmd || l.cmd == "ALL" {
				g.NoPassword, g.Source = l.noPass, l.src
			}
			if l.cmd == "!"+c.cmd {
				denied = l.src
			}
		}
		if !auth {
			g.NoPassword = true
		}
		a.Sudo = append(a.Sudo, g)
		w := Way{Kind: KindSudo, Name: g.wayName(), Status: Works, NoPassword: g.NoPassword}
		switch {
		case b.sudoBinary() != "":
			w.Status, w.Reason = Refused, b.sudoBinary()
		case denied != "":
			w.Status, w.Reason = Refused, "denied by "+denied
		case !g.NoPassword:
			who := b.sudoPasswordOf(a, g.RunAs)
			if !b.passwordUsableFor(who, a) {
				w.Status, w.Reason = Refused, "needs "+who+"'s password, which is not usable"
			}
		}
		if w.Status == Works {
			if v.Status == PAMNotUsed {
				v = a.Expiry
			}
			w.Status, w.Reason = fromPAM(v, w.Status, w.Reason)
		}
		a.Ways = append(a.Ways, w)
	}
}

// sudoBinary says why the sudo program cannot raise privileges, or "":
// it must carry the setuid bit (a fix stripping setuid bits takes every
// grant with it). A tree without the program is not judged here (test
// trees, policies kept for a later install); Diff reports its removal.
func (b *builder) sudoBinary() string {
	if b.sudoWhy != nil {
		return *b.sudoWhy
	}
	why := ""
	b.m.SudoMissing = true
	for _, p := range []string{"usr/bin/sudo", "bin/sudo", "usr/local/bin/sudo"} {
		fi, err := b.t.Stat(p)
		if err != nil {
			continue
		}
		b.m.SudoMissing = false
		if !fi.Mode.IsRegular() || fi.Mode&fs.ModeSetuid == 0 {
			why = target.Abs(p) + " is not setuid"
		}
		break
	}
	b.sudoWhy = &why
	return why
}

// wayName names the way a grant gives.
func (g Grant) wayName() string { return "sudo " + g.Command + " (as " + g.RunAs + ")" }

func (b *builder) passwordUsableFor(who string, a *Account) bool {
	if who == a.Name {
		return a.Password == PasswordUsable
	}
	return b.passwordUsable(who)
}

// covers reports whether a rule's run-as list covers another's.
func covers(rule, want string) bool {
	return rule == want || rule == "ALL" || strings.HasPrefix(rule, "ALL:") && (want == "root" || strings.HasPrefix(want, "ALL"))
}

// sudoUsers reports whether a User_List selects a: sudo takes the last
// matching item, so a negated item after a positive one excludes.
func (b *builder) sudoUsers(list []string, a *Account, depth int) bool {
	for i := len(list) - 1; i >= 0; i-- {
		item := strings.TrimSpace(list[i])
		neg := false
		for strings.HasPrefix(item, "!") {
			neg, item = !neg, strings.TrimSpace(item[1:])
		}
		if b.sudoUserItem(item, a, depth) {
			return !neg
		}
	}
	return false
}

func (b *builder) sudoUserItem(item string, a *Account, depth int) bool {
	switch {
	case item == "ALL":
		return true
	case strings.HasPrefix(item, "%#"):
		gid, err := strconv.ParseUint(item[2:], 10, 32)
		return err == nil && contains(a.Groups, b.db.GroupName(uint32(gid)))
	case strings.HasPrefix(item, "%:"), strings.HasPrefix(item, "+"):
		return false // non-Unix groups and netgroups are not modelled
	case strings.HasPrefix(item, "%"):
		return contains(a.Groups, unquoteSudo(item[1:]))
	case strings.HasPrefix(item, "#"):
		uid, err := strconv.ParseUint(item[1:], 10, 32)
		return err == nil && uint32(uid) == a.UID
	}
	if members, ok := b.sudo.Aliases[item]; ok && isAliasName(item) {
		if depth >= maxAliasDepth {
			return false
		}
		return b.sudoUsers(members, a, depth+1)
	}
	return unquoteSudo(item) == a.Name
}

// isAliasName: sudoers alias names are upper case, digits and '_'.
func isAliasName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func unquoteSudo(s string) string {
	s = strings.Trim(s, `"`)
	return strings.ReplaceAll(s, `\`, "")
}

// sudoHosts reports whether a Host_List selects this host: ALL, its name
// from /etc/hostname, or a Host_Alias holding either.
func (b *builder) sudoHosts(list []string) bool {
	return b.hostsMatch(list, 0)
}

func (b *builder) hostsMatch(list []string, depth int) bool {
	for i := len(list) - 1; i >= 0; i-- {
		item := strings.TrimSpace(list[i])
		neg := false
		for strings.HasPrefix(item, "!") {
			neg, item = !neg, strings.TrimSpace(item[1:])
		}
		hit := false
		switch {
		case item == "ALL":
			hit = true
		case b.hostname != "" && (strings.EqualFold(item, b.hostname) || strings.EqualFold(item, strings.SplitN(b.hostname, ".", 2)[0])):
			hit = true
		case isAliasName(item) && depth < maxAliasDepth:
			if members, ok := b.sudo.Aliases[item]; ok {
				hit = b.hostsMatch(members, depth+1)
			}
		}
		if hit {
			return !neg
		}
	}
	return false
}

// expandCmnd expands Cmnd_Alias names in a command list; a negated alias
// yields negated commands.
func (b *builder) expandCmnd(list []string, depth int) []string {
	var out []string
	for _, c := range list {
		c = strings.TrimSpace(c)
		neg := strings.HasPrefix(c, "!")
		name := strings.TrimSpace(strings.TrimPrefix(c, "!"))
		if members, ok := b.sudo.Aliases[name]; ok && isAliasName(name) && name != "ALL" && depth < maxAliasDepth {
			for _, m := range b.expandCmnd(members, depth+1) {
				if neg {
					m = "!" + strings.TrimPrefix(m, "!")
				}
				out = append(out, m)
			}
			continue
		}
		if neg {
			out = append(out, "!"+name)
		} else {
			out = append(out, name)
		}
	}
	return out
}

// sudoAuthenticate reports whether sudo asks a for a password at all: the
// authenticate flag, globally or for the user (last setting wins).
func (b *builder) sudoAuthenticate(a *Account) bool {
	auth := true
	for _, d := range b.sudo.Defaults {
		if d.Name != "authenticate" {
			continue
		}
		if d.Binding == "" || (strings.HasPrefix(d.Binding, ":") && b.sudoUsers(strings.Split(d.Binding[1:], ","), a, 0)) {
			auth = !d.Negated
		}
	}
	return auth
}

// sudoPasswordOf is whose password sudo asks a for: root's with rootpw,
// the target user's with targetpw, a's own otherwise.
func (b *builder) sudoPasswordOf(a *Account, runas string) string {
	flag := func(name string) bool {
		on := false
		for _, d := range b.sudo.Defaults {
			if d.Name == name && (d.Binding == "" || (strings.HasPrefix(d.Binding, ":") && b.sudoUsers(strings.Split(d.Binding[1:], ","), a, 0))) {
				on = !d.Negated
			}
		}
		return on
	}
	switch {
	case flag("rootpw"):
		return "root"
	case flag("targetpw"):
		u, _, _ := strings.Cut(runas, ":")
		if u == "" || u == "ALL" {
			u = "root"
		}
		return u
	}
	return a.Name
}
