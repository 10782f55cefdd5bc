package checks

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/collect/sshd"
	"github.com/cradle-cra/cradle/internal/collect/sudoers"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// What a fix must know so that it never takes away the last way an
// account has to log in or escalate: whether an account has a usable
// password, and which accounts a sudoers User_List names.

// usablePassword reports whether u can authenticate with a password: its
// effective password field is a hash. Locked ("!", "!!", "!hash"),
// disabled ("*", "!*"), empty and unknown (no shadow entry) fields are
// not usable.
func usablePassword(u *accounts.User) bool {
	pw, ok := u.Password()
	if !ok {
		return false
	}
	st, _ := accounts.Classify(pw)
	return st == accounts.Hashed
}

// accountByName finds an account by name (the first entry, as getpwnam).
func accountByName(db *accounts.DB, name string) *accounts.User {
	for i := range db.Users {
		if db.Users[i].Name == name {
			return &db.Users[i]
		}
	}
	return nil
}

// groupMembers lists the accounts in group g: its member list and the
// accounts whose primary group it is, each once, in file order.
func groupMembers(db *accounts.DB, g *accounts.Group) []string {
	var out []string
	for _, m := range g.Members {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	for i := range db.Users {
		if u := &db.Users[i]; u.GID == g.GID && !slices.Contains(out, u.Name) {
			out = append(out, u.Name)
		}
	}
	return out
}

// maxAliasDepth bounds User_Alias nesting (sudo itself refuses cycles).
const maxAliasDepth = 8

// sudoUsers resolves a sudoers User_List to account names through the
// local account files: names, #uid, %group, %#gid and User_Alias names
// (nested). What cannot be resolved from the files — ALL, negations,
// netgroups, non-Unix groups, names and groups absent from passwd and
// group (a directory service may know them), alias cycles — is returned
// as problems, so a caller never guesses about an account it cannot see.
func sudoUsers(items []string, aliases map[string][]string, db *accounts.DB) (names, problems []string) {
	add := func(n string) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	var walk func(items []string, depth int)
	walk = func(items []string, depth int) {
		for _, it := range items {
			it = strings.Trim(strings.TrimSpace(it), `"`)
			switch {
			case it == "":
			case it == "ALL":
				problems = append(problems, "ALL users")
			case strings.HasPrefix(it, "!"):
				problems = append(problems, "a negated entry ("+it+")")
			case strings.HasPrefix(it, "+"):
				problems = append(problems, "netgroup "+it)
			case strings.HasPrefix(it, "%:"), strings.HasPrefix(it, "%#:"):
				problems = append(problems, "non-Unix group "+it)
			case strings.HasPrefix(it, "%"):
				g := findGroup(db, it[1:])
				if g == nil {
					problems = append(problems, "group "+it[1:]+" is not in "+groupFile)
					continue
				}
				for _, m := range groupMembers(db, g) {
					add(m)
				}
			case strings.HasPrefix(it, "#"):
				uid, err := strconv.ParseUint(it[1:], 10, 32)
				if err != nil || !db.HasUID(uint32(uid)) {
					problems = append(problems, "uid "+it[1:]+" is not in "+passwdFile)
					continue
				}
				add(db.UserName(uint32(uid)))
			case isAliasName(it):
				m, ok := aliases[it]
				switch {
				case !ok:
					problems = append(problems, "alias "+it+" is not defined")
				case depth >= maxAliasDepth:
					problems = append(problems, "alias "+it+" nests too deep")
				default:
					walk(m, depth+1)
				}
			default:
				if accountByName(db, it) == nil {
					problems = append(problems, it+" is not in "+passwdFile)
					continue
				}
				add(it)
			}
		}
	}
	walk(items, 0)
	return names, problems
}

// findGroup finds a group by name, or by "#gid" (from "%#gid").
func findGroup(db *accounts.DB, name string) *accounts.Group {
	if n, ok := strings.CutPrefix(name, "#"); ok {
		gid, err := strconv.ParseUint(n, 10, 32)
		if err != nil {
			return nil
		}
		for i := range db.Groups {
			if uint64(db.Groups[i].GID) == gid {
				return &db.Groups[i]
			}
		}
		return nil
	}
	for i := range db.Groups {
		if db.Groups[i].Name == name {
			return &db.Groups[i]
		}
	}
	return nil
}

// isAliasName reports whether s has the form of a sudoers alias name:
// an upper-case letter, then upper-case letters, digits and underscores.
func isAliasName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// withoutPassword lists the accounts of names that have no usable
// password; root is left out (sudo never asks root for a password).
func withoutPassword(db *accounts.DB, names []string) []string {
	var out []string
	for _, n := range names {
		if u := accountByName(db, n); n != "root" && (u == nil || !usablePassword(u)) {
			out = append(out, n)
		}
	}
	return out
}

// plural picks the verb form for a list of account names.
func plural(names []string, one, many string) string {
	if len(names) == 1 {
		return fmt.Sprintf("%s %s", names[0], one)
	}
	return fmt.Sprintf("%s %s", strings.Join(names, ", "), many)
}

// ageState is what pam_unix's account management makes of an account's
// shadow ageing fields on a given day (check_shadow_expiry in
// pam_unix/passverify.c), from harmless to fatal.
type ageState int

const (
	ageOK ageState = iota
	// ageMustChange: the password has expired; login demands a new one
	// first (PAM_NEW_AUTHTOK_REQD). sshd then forces the change even
	// after a key login, which fails without a terminal (scp, ssh host
	// cmd, automation) and for an account that cannot give its old
	// password.
	ageMustChange
	// ageDisabled: expired for longer than the inactive period; every
	// login is refused, SSH keys included.
	ageDisabled
	// ageExpired: the account's expiry date has passed; every login is
	// refused.
	ageExpired
)

func (s ageState) String() string {
	return [...]string{"valid", "password expired (a new one is demanded at login)", "disabled (inactive after expiry)", "expired"}[s]
}

// shadowAgeState judges s on day today (days since 1970-01-01), as
// pam_unix does: an empty field is -1, so an empty last-change day with a
// maximum age set counts as expired, as it does there.
func shadowAgeState(s accounts.Shadow, today int64) ageState {
	switch {
	case s.Expire != -1 && today > s.Expire:
		return ageExpired
	case s.LastChange == 0:
		return ageMustChange
	case today < s.LastChange:
		return ageOK
	}
	d := today - s.LastChange
	switch {
	case s.MaxDays != -1 && s.Inactive != -1 && d > s.MaxDays && d > s.Inactive && d > s.MaxDays+s.Inactive:
		return ageDisabled
	case s.MaxDays != -1 && d > s.MaxDays:
		return ageMustChange
	}
	return ageOK
}

// dayOf is the shadow day number of t.
func dayOf(t time.Time) int64 { return t.Unix() / 86400 }

// shadowDate renders a shadow day number as a date.
func shadowDate(day int64) string { return time.Unix(day*86400, 0).UTC().Format("2006-01-02") }

// adminGroups are the groups that grant sudo on Debian and Ubuntu (sudo,
// admin) and on Red Hat (wheel).
var adminGroups = []string{"sudo", "wheel", "admin"}

// adminAccounts maps each administrator to why it is one: a member of an
// administrators' group (also as its primary group), or an account a
// sudoers rule grants commands to. root is not listed.
func adminAccounts(db *accounts.DB, p *sudoers.Policy) map[string]string {
	out := map[string]string{}
	for _, gn := range adminGroups {
		if g := findGroup(db, gn); g != nil {
			for _, m := range groupMembers(db, g) {
				if _, ok := out[m]; !ok {
					out[m] = "group " + gn
				}
			}
		}
	}
	if p != nil {
		for _, s := range p.Specs {
			names, _ := sudoUsers(s.Users, p.Aliases, db)
			for _, n := range names {
				if _, ok := out[n]; !ok {
					out[n] = fmt.Sprintf("sudoers %s:%d", s.File, s.Line)
				}
			}
		}
	}
	delete(out, "root")
	return out
}

// keysFiles are the AuthorizedKeysFile entries sshd reads on t.
func keysFiles(cfg *sshd.Config) []string {
	if cfg != nil {
		// A default value is one string of space-separated entries.
		if v := cfg.Effective("AuthorizedKeysFile"); len(v.Args) > 0 {
			return strings.Fields(strings.Join(v.Args, " "))
		}
	}
	return []string{".ssh/authorized_keys", ".ssh/authorized_keys2"}
}

// hasAuthorizedKey reports whether one of u's authorized_keys files on t
// holds a key line (not blank, not a comment).
func hasAuthorizedKey(t target.Target, files []string, u *accounts.User) bool {
	r := strings.NewReplacer("%%", "%", "%h", u.Home, "%u", u.Name, "%U", strconv.FormatUint(uint64(u.UID), 10))
	for _, f := range files {
		if strings.EqualFold(f, "none") {
			continue
		}
		p := r.Replace(f)
		if !strings.HasPrefix(p, "/") {
			if u.Home == "" {
				continue
			}
			p = u.Home + "/" + p
		}
		b, err := target.ReadFileLimit(t, target.Clean(p), 1<<20)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				return true
			}
		}
	}
	return false
}

// lockoutGuard answers, for a planned change to one account's entry,
// whether it takes an administrator's last way in: before the change the
// administrator can log in (a login shell, an account pam_unix accepts,
// and a password — empty ones too, as nullok allows — or an SSH key);
// after it, not.
type lockoutGuard struct {
	admins map[string]string
	keys   []string
	t      target.Target
	today  int64 // 0: ageing is not judged
	root   string
}

// newLockoutGuard reads the administrators, sshd's key files and root's
// ways in from the planned state of ch.
func newLockoutGuard(ctx context.Context, ch *remedy.Changes, db *accounts.DB) *lockoutGuard {
	ov := ch.Overlay()
	g := &lockoutGuard{t: ov}
	p, err := sudoers.Collect(ctx, ov)
	if err != nil {
		p = nil
	}
	g.admins = adminAccounts(db, p)
	cfg, err := sshd.Collect(ctx, ov)
	if err != nil {
		cfg = nil
	}
	g.keys = keysFiles(cfg)
	if !ch.Now().IsZero() {
		g.today = dayOf(ch.Now())
	}
	var ways []string
	if cfg != nil && strings.EqualFold(cfg.Effective("PermitRootLogin").String(), "no") {
		ways = append(ways, "root cannot log in over SSH (PermitRootLogin no)")
	}
	if root := accountByName(db, "root"); root != nil && !usablePassword(root) {
		ways = append(ways, "root has no usable password")
	}
	g.root = strings.Join(ways, ", ")
	return g
}

// wayIn reports whether u can log in at all, and how.
func (g *lockoutGuard) wayIn(u *accounts.User) (bool, string) {
	if isNologin(u.Shell) {
		return false, "a non-login shell"
	}
	if g.today != 0 && u.Shadow != nil {
		if st := shadowAgeState(*u.Shadow, g.today); st >= ageDisabled {
			return false, "an account pam_unix refuses (" + st.String() + ")"
		}
	}
	pw, _ := u.Password()
	if st, _ := accounts.Classify(pw); st == accounts.Hashed || st == accounts.Empty {
		return true, "its password"
	}
	if hasAuthorizedKey(g.t, g.keys, u) {
		return true, "an SSH key"
	}
	return false, "no usable password and no SSH key"
}

// check returns why changing administrator before into after locks it
// out, or "" when it does not (or the account is no administrator).
func (g *lockoutGuard) check(before, after *accounts.User) string {
	why, ok := g.admins[before.Name]
	if !ok {
		return ""
	}
	if in, _ := g.wayIn(before); !in {
		return ""
	}
	if in, how := g.wayIn(after); !in {
		r := fmt.Sprintf("%s is an administrator (%s) and would be left with %s: no way to log in", before.Name, why, how)
		if g.root != "" {
			r += "; " + g.root
		}
		return r
	}
	return ""
}
