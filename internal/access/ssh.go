package access

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/collect/sshd"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// sshSettings are the sshd settings that decide one user's logins, after
// the Match blocks that select the user.
type sshSettings struct {
	b    *builder
	user string
	uid  uint32
	// overrides are the directives of the Match blocks selecting the
	// user, in order.
	overrides []sshd.Directive
}

// settingsFor applies the Match blocks sshd would apply to user. Blocks
// on User and Group are decided; a block that also depends on the client
// (Address, Host, LocalAddress, LocalPort, RDomain) is left out and noted:
// the model is that of a client no such block selects.
func (b *builder) settingsFor(a *Account) *sshSettings {
	s := &sshSettings{b: b, user: a.Name, uid: a.UID}
	for _, d := range b.ssh.Directives {
		if d.Match == nil {
			continue
		}
		switch matchUser(d.Match.Criteria, a.Name, a.Groups) {
		case matchYes:
			s.overrides = append(s.overrides, d)
		case matchClient:
			b.note(fmt.Sprintf("%s at %s:%d depends on the client; the model is for clients it does not select", d.Match, d.Match.File, d.Match.Line))
		}
	}
	return s
}

// value is the effective value of keyword for the user: sshd applies the
// first value of the Match blocks selecting the connection over the
// global one (for list keywords, the selecting blocks' values replace the
// global list).
func (s *sshSettings) value(keyword string) []string {
	k := sshd.Canonical(keyword)
	var args []string
	found := false
	for _, d := range s.overrides {
		if d.Keyword != k {
			continue
		}
		if sshd.Multi(k) {
			args, found = append(args, d.Args...), true
			continue
		}
		return d.Args
	}
	if found {
		return args
	}
	return s.b.ssh.Effective(k).Args
}

func (s *sshSettings) first(keyword string) string {
	if v := s.value(keyword); len(v) > 0 {
		return strings.ToLower(v[0])
	}
	return ""
}

func (s *sshSettings) yes(keyword string) bool { return s.first(keyword) == "yes" }

type matchResult int

const (
	matchNo matchResult = iota
	matchYes
	matchClient // selects the user, but also depends on the client
)

// matchUser evaluates a Match line's criteria for a user.
func matchUser(criteria []string, user string, groups []string) matchResult {
	res := matchYes
	for i := 0; i < len(criteria); i++ {
		key := strings.ToLower(criteria[i])
		if key == "all" {
			continue
		}
		if i+1 >= len(criteria) {
			return matchNo // malformed: sshd refuses it
		}
		val := criteria[i+1]
		i++
		switch key {
		case "user":
			if patternList(user, val) != 1 {
				return matchNo
			}
		case "group":
			if !groupMatch(groups, val) {
				return matchNo
			}
		case "invalid-user":
			return matchNo // an account of the target is a valid user
		default:
			res = matchClient
		}
	}
	return res
}

// groupMatch is sshd's group criterion: some group of the user matches the
// list and none matches a negated entry.
func groupMatch(groups []string, list string) bool {
	ok := false
	for _, g := range groups {
		switch patternList(g, list) {
		case -1:
			return false
		case 1:
			ok = true
		}
	}
	return ok
}

// patternList is OpenSSH's match_pattern_list: 1 when s matches a
// positive pattern of the comma-separated list, -1 when it matches a
// negated one ("!pat"), 0 otherwise.
func patternList(s, list string) int {
	got := 0
	for _, p := range strings.Split(list, ",") {
		neg := strings.HasPrefix(p, "!")
		if neg {
			p = p[1:]
		}
		if wildcard(s, p) {
			if neg {
				return -1
			}
			got = 1
		}
	}
	return got
}

// wildcard matches s against an sshd pattern of '*' and '?'.
func wildcard(s, p string) bool {
	// Iterative matcher with backtracking to the last '*': linear in
	// practice and never recursive, so hostile patterns cannot blow up.
	si, pi, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			si++
			pi++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// allowed applies DenyUsers, AllowUsers, DenyGroups and AllowGroups in
// sshd's order; "" when the user is allowed.
func (s *sshSettings) allowed(groups []string) string {
	userMatch := func(entry string) bool {
		u, _, _ := strings.Cut(entry, "@") // a host part depends on the client
		return wildcard(s.user, u)
	}
	for _, e := range s.value("DenyUsers") {
		if userMatch(e) {
			return "sshd DenyUsers " + e
		}
	}
	if allow := s.value("AllowUsers"); len(allow) > 0 {
		ok := false
		for _, e := range allow {
			ok = ok || userMatch(e)
		}
		if !ok {
			return "not in sshd AllowUsers"
		}
	}
	for _, e := range s.value("DenyGroups") {
		for _, g := range groups {
			if wildcard(g, e) {
				return "sshd DenyGroups " + e
			}
		}
	}
	if allow := s.value("AllowGroups"); len(allow) > 0 {
		ok := false
		for _, e := range allow {
			for _, g := range groups {
				ok = ok || wildcard(g, e)
			}
		}
		if !ok {
			return "in no group of sshd AllowGroups"
		}
	}
	return ""
}

// methodLists are the AuthenticationMethods lists, each a set of methods
// that must all succeed; nil for "any".
func (s *sshSettings) methodLists() [][]string {
	v := s.value("AuthenticationMethods")
	if len(v) == 0 || (len(v) == 1 && strings.EqualFold(v[0], "any")) {
		return nil
	}
	var out [][]string
	for _, l := range v {
		var ms []string
		for _, m := range strings.Split(l, ",") {
			m, _, _ = strings.Cut(m, ":") // keyboard-interactive:pam
			if m == "keyboard-interactive" {
				m = "password" // both ask for the account's password here
			}
			ms = append(ms, m)
		}
		out = append(out, ms)
	}
	return out
}

// sshWays adds the SSH ways of an account.
func (b *builder) sshWays(a *Account, u *accounts.User) {
	if b.ssh == nil || !b.ssh.Installed {
		return
	}
	if b.sshdMissing == nil {
		missing := true
		for _, p := range []string{"usr/sbin/sshd", "sbin/sshd", "usr/bin/sshd"} {
			missing = missing && !target.Exists(b.t, p)
		}
		b.sshdMissing = &missing
		b.m.SSHDMissing = missing
	}
	s := b.settingsFor(a)
	if a.ShellUsable {
		// Keys cannot help an account sshd refuses for its shell; not
		// looking saves two lookups per system account.
		a.Keys, a.KeysCommand = b.keys(s, u)
	}
	usePAM := s.yes("UsePAM")
	var pamV Verdict
	if usePAM {
		pamV = b.pamAccount("sshd", a)
		a.PAM["sshd"] = pamV
	}
	// Reasons that refuse every method, in the order sshd checks them.
	common := ""
	switch {
	case !a.ShellUsable:
		common = a.ShellReason
	case s.allowed(a.Groups) != "":
		common = s.allowed(a.Groups)
	case !usePAM && a.Password == PasswordLocked:
		common = "password locked and sshd does not use PAM (UsePAM no)"
	case !usePAM && b.nologin != "" && a.UID != 0:
		common = b.nologin + " exists"
	}
	root := ""
	if a.UID == 0 {
		root = s.first("PermitRootLogin")
	}
	method := func(m string) (Status, string) {
		switch m {
		case "publickey":
			switch {
			case !s.yes("PubkeyAuthentication"):
				return Refused, "sshd PubkeyAuthentication no"
			case root == "no":
				return Refused, "sshd PermitRootLogin no"
			case root == "forced-commands-only":
				return Refused, "sshd PermitRootLogin forced-commands-only (only keys with a command)"
			case len(a.Keys) == 0 && a.KeysCommand != "":
				return Unknown, "keys only from AuthorizedKeysCommand " + a.KeysCommand
			case len(a.Keys) == 0:
				return Refused, "no authorized key"
			}
		case "password":
			kbd := s.yes("KbdInteractiveAuthentication") && usePAM
			switch {
			case !s.yes("PasswordAuthentication") && !kbd:
				if s.yes("KbdInteractiveAuthentication") {
					return Refused, "sshd PasswordAuthentication no (keyboard-interactive needs UsePAM yes)"
				}
				return Refused, "sshd PasswordAuthentication no and KbdInteractiveAuthentication no"
			case root != "" && root != "yes":
				return Refused, "sshd PermitRootLogin " + root
			case a.Password == PasswordUnknown:
				return Unknown, "password unknown: /etc/shadow unreadable"
			case a.Password == PasswordEmpty && s.yes("PermitEmptyPasswords"):
			case a.Password != PasswordUsable:
				return Refused, "password " + a.Password
			}
		default:
			return Unknown, "authentication method " + m + " is not modelled"
		}
		return Works, ""
	}
	finish := func(w Way) Way {
		switch {
		case w.Status != Works:
		case common != "":
			w.Status, w.Reason = Refused, common
		case usePAM:
			w.Status, w.Reason = fromPAM(pamV, w.Status, w.Reason)
		default:
			w.Status, w.Reason = fromPAM(a.Expiry, w.Status, w.Reason)
		}
		return w
	}
	lists := s.methodLists()
	single := func(kind, name, m string) {
		st, why := method(m)
		if common != "" {
			st, why = Refused, common
		}
		if lists != nil && st == Works && !hasSingle(lists, m) {
			st, why = Refused, "sshd AuthenticationMethods "+strings.Join(s.value("AuthenticationMethods"), " ")
		}
		a.Ways = append(a.Ways, finish(Way{Kind: kind, Name: name, Status: st, Reason: why}))
	}
	single(KindSSHKey, "SSH key login", "publickey")
	single(KindSSHPassword, "SSH password login", "password")
	for _, l := range lists {
		if len(l) < 2 {
			continue
		}
		w := Way{Kind: KindSSHMulti, Name: "SSH login with " + strings.Join(l, "+"), Status: Works}
		if common != "" {
			w.Status, w.Reason = Refused, common
		}
		for _, m := range l {
			if st, why := method(m); st != Works && w.Status != Refused {
				w.Status, w.Reason = st, m+": "+why
			}
		}
		a.Ways = append(a.Ways, finish(w))
	}
}

func hasSingle(lists [][]string, m string) bool {
	for _, l := range lists {
		if len(l) == 1 && l[0] == m {
			return true
		}
	}
	return false
}

// fromPAM folds an account-management verdict into a way's status.
func fromPAM(v Verdict, st Status, why string) (Status, string) {
	switch v.Status {
	case PAMRefuse:
		return Refused, "PAM account management would refuse: " + v.Reason
	case PAMChangeRequired:
		return Refused, "PAM account management requires a password change first: " + v.Reason
	case PAMUnknown:
		return Unknown, "PAM account management: " + v.Reason
	}
	return st, why
}

// keys finds the authorized_keys files of u that hold a key, per the
// effective AuthorizedKeysFile (tokens %h, %u, %U, %%; relative paths
// below the home directory).
func (b *builder) keys(s *sshSettings, u *accounts.User) ([]string, string) {
	files := s.value("AuthorizedKeysFile")
	if len(files) == 0 {
		files = []string{".ssh/authorized_keys", ".ssh/authorized_keys2"}
	}
	var out []string
	for _, f := range strings.Fields(strings.Join(files, " ")) {
		p := KeysPath(f, u)
		if p == "" {
			continue
		}
		n, err := CountKeys(b.t, p)
		if err != nil {
			b.note(err.Error())
		}
		if n > 0 {
			out = append(out, target.Abs(p))
		}
	}
	cmd := ""
	if v := s.value("AuthorizedKeysCommand"); len(v) > 0 && !strings.EqualFold(v[0], "none") {
		cmd = strings.Join(v, " ")
	}
	return out, cmd
}

// KeysPath applies sshd_config(5) tokens (%h, %u, %U, %%) to one
// AuthorizedKeysFile entry and returns the root-relative path; relative
// entries are below the home directory, "none" and a relative entry for
// an account without a home give "".
func KeysPath(f string, u *accounts.User) string {
	if strings.EqualFold(f, "none") {
		return ""
	}
	p := strings.NewReplacer("%%", "%", "%h", u.Home, "%u", u.Name, "%U", strconv.FormatUint(uint64(u.UID), 10)).Replace(f)
	if !strings.HasPrefix(p, "/") {
		if u.Home == "" {
			return ""
		}
		p = u.Home + "/" + p
	}
	return target.Clean(p)
}

// CountKeys counts the key lines of the authorized_keys file at the
// root-relative path p (not blank, not comments, up to 1 MiB); a missing
// file or one that is not a regular file has none.
func CountKeys(t target.Target, p string) (int, error) {
	fi, err := t.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
			return 0, nil
		}
		return 0, fmt.Errorf("authorized keys %s: %w", target.Abs(p), err)
	}
	if !fi.Mode.IsRegular() {
		return 0, nil
	}
	data, err := target.ReadFileLimit(t, p, maxKeysFile)
	if err != nil {
		return 0, fmt.Errorf("authorized keys %s: %w", target.Abs(p), err)
	}
	n := 0
	for _, l := range textline.Split(data) {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			n++
		}
	}
	return n, nil
}
