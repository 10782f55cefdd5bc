package checks

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/access"
	"github.com/cradle-cra/cradle/internal/collect/accounts"
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
	// An alias is expanded once (1: being expanded, 2: done): a policy
	// naming one alias many times at many levels costs its size, not a
	// power of it, and a cycle is reported.
	state := map[string]int{}
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
					if accountByName(db, m) == nil {
						problems = append(problems, m+" (group "+g.Name+") is not in "+passwdFile)
						continue
					}
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
				case state[it] == 1:
					problems = append(problems, "alias "+it+" includes itself")
				case state[it] == 2:
				case depth >= maxAliasDepth:
					problems = append(problems, "alias "+it+" nests too deep")
					state[it] = 2
				default:
					state[it] = 1
					walk(m, depth+1)
					state[it] = 2
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

// passwordExpired lists the accounts of names whose password pam_unix
// reports expired on now's day (a new one demanded first); none when now
// is not known.
func passwordExpired(db *accounts.DB, names []string, now time.Time) []string {
	if now.IsZero() {
		return nil
	}
	var out []string
	for _, n := range names {
		if u := accountByName(db, n); u != nil && u.Shadow != nil && ageRank(access.ShadowExpiry(u.Shadow, dayOf(now))) >= 1 {
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

// ageRank orders pam_unix's verdicts on an account's ageing fields
// (access.ShadowExpiry): valid, a new password demanded at login (sshd
// forces it even after a key login, which fails without a terminal and
// for an account that cannot give its old password), every login refused.
func ageRank(v access.Verdict) int {
	switch v.Status {
	case access.PAMPass:
		return 0
	case access.PAMChangeRequired:
		return 1
	}
	return 2
}

// ageText renders a verdict for a reason: "valid" or why it is not.
func ageText(v access.Verdict) string {
	if v.Status == access.PAMPass {
		return "valid"
	}
	return v.Reason
}

// dayOf is the shadow day number of t.
func dayOf(t time.Time) int64 { return t.Unix() / 86400 }

// shadowDate renders a shadow day number as a date.
func shadowDate(day int64) string { return time.Unix(day*86400, 0).UTC().Format("2006-01-02") }

// adminGroups are the groups that grant sudo on Debian and Ubuntu (sudo,
// admin) and on Red Hat (wheel).
var adminGroups = []string{"sudo", "wheel", "admin"}

// adminReason says why a is an administrator — a member of an
// administrators' group, or an account holding a sudo grant — or "" when
// it is none (root is none: its own way in is not at stake).
func adminReason(a *access.Account) string {
	if a == nil || a.Name == "root" {
		return ""
	}
	for _, g := range adminGroups {
		if slices.Contains(a.Groups, g) {
			return "group " + g
		}
	}
	if len(a.Sudo) > 0 {
		return "sudo grant at " + a.Sudo[0].Source
	}
	return ""
}

// loginWays lists the ways a can log in that work (sudo is not one).
func loginWays(a *access.Account) []string {
	if a == nil {
		return nil
	}
	var out []string
	for _, w := range a.Ways {
		if w.Kind != access.KindSudo && w.Status == access.Works {
			out = append(out, w.Name)
		}
	}
	return out
}
