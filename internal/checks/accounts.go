package checks

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/collect/kvconf"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// accountPropertyTemplate checks a property of the account database
// (passwd, group, shadow):
//
//	account_property: {property: uid0_only_root}
//	account_property: {property: password_max_days, value: 365}
//	account_property: {property: shadow_hashing, schemes: [yescrypt, sha512crypt]}
//	account_property: {property: system_accounts_nologin, exempt: [sync, shutdown, halt]}
//
// Properties:
//
//	uid0_only_root           no account but root has UID 0
//	no_empty_passwords       no account has an empty password field
//	shadowed_passwords       every passwd password field is "x" with a shadow entry
//	no_duplicate_uids, no_duplicate_gids, no_duplicate_user_names, no_duplicate_group_names
//	groups_exist             every primary GID in passwd is defined in group
//	root_gid0                root's primary group is GID 0
//	root_password_protected  root's password is locked, disabled or a hash of an allowed scheme
//	system_accounts_nologin  accounts below UID_MIN (login.defs) have a non-login shell
//	system_accounts_locked   accounts below UID_MIN have no usable password
//	password_max_days        accounts with a password: maximum age set and <= value
//	password_min_days        accounts with a password: minimum age >= value
//	password_warn_days       accounts with a password: warning days >= value
//	password_inactive        accounts with a password: inactivity lock set and <= value
//	shadow_hashing           password hashes use one of schemes
//	home_dirs                interactive accounts' home directories exist, are owned by the
//	                         account and have no permission bit beyond max_mode (default 0750)
//
// Hashes are never rendered: evidence names the scheme only.
type accountPropertyTemplate struct{}

type accountPropertyArgs struct {
	Property string   `yaml:"property"`
	Value    *int64   `yaml:"value"`
	Schemes  []string `yaml:"schemes"`
	Exempt   []string `yaml:"exempt"`
	MaxMode  string   `yaml:"max_mode"`
}

type accountPropertyCheck struct {
	a       accountPropertyArgs
	maxMode uint32
}

var accountProperties = map[string]struct{ value, schemes, shadow bool }{
	"uid0_only_root":           {},
	"no_empty_passwords":       {shadow: true},
	"shadowed_passwords":       {shadow: true},
	"no_duplicate_uids":        {},
	"no_duplicate_gids":        {},
	"no_duplicate_user_names":  {},
	"no_duplicate_group_names": {},
	"groups_exist":             {},
	"root_gid0":                {},
	"root_password_protected":  {schemes: true, shadow: true},
	"system_accounts_nologin":  {},
	"system_accounts_locked":   {shadow: true},
	"password_max_days":        {value: true, shadow: true},
	"password_min_days":        {value: true, shadow: true},
	"password_warn_days":       {value: true, shadow: true},
	"password_inactive":        {value: true, shadow: true},
	"shadow_hashing":           {schemes: true, shadow: true},
	"home_dirs":                {},
}

func (accountPropertyTemplate) Name() string { return "account_property" }

func (accountPropertyTemplate) New(n *yaml.Node) (check.Check, error) {
	var a accountPropertyArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	p, ok := accountProperties[a.Property]
	if !ok {
		names := make([]string, 0, len(accountProperties))
		for k := range accountProperties {
			names = append(names, k)
		}
		slices.Sort(names)
		return nil, check.ArgErrorf(n, "unknown property %q (one of %s)", a.Property, strings.Join(names, ", "))
	}
	if p.value != (a.Value != nil) {
		if p.value {
			return nil, check.ArgErrorf(n, "property %s needs value", a.Property)
		}
		return nil, check.ArgErrorf(n, "property %s takes no value", a.Property)
	}
	if p.schemes != (len(a.Schemes) > 0) {
		if p.schemes {
			return nil, check.ArgErrorf(n, "property %s needs schemes", a.Property)
		}
		return nil, check.ArgErrorf(n, "property %s takes no schemes", a.Property)
	}
	c := &accountPropertyCheck{a: a, maxMode: 0750}
	if a.MaxMode != "" {
		if a.Property != "home_dirs" {
			return nil, check.ArgErrorf(n, "max_mode only applies to home_dirs")
		}
		m, err := strconv.ParseUint(a.MaxMode, 8, 32)
		if err != nil || m > 07777 {
			return nil, check.ArgErrorf(n, "max_mode %q is not an octal mode like \"0750\"", a.MaxMode)
		}
		c.maxMode = uint32(m)
	}
	return c, nil
}

func (c *accountPropertyCheck) Fixable() bool {
	switch c.a.Property {
	case "password_max_days", "password_min_days", "password_warn_days", "password_inactive",
		"system_accounts_nologin", "system_accounts_locked", "no_empty_passwords", "root_gid0", "home_dirs":
		return true
	}
	return false
}

const (
	passwdFile = "/etc/passwd"
	groupFile  = "/etc/group"
	shadowFile = "/etc/shadow"
)

// nologinShells never give an interactive session.
var nologinShells = []string{"/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false", "/usr/bin/nologin", "/bin/nologin", ""}

func isNologin(shell string) bool { return slices.Contains(nologinShells, shell) }

// uidMin reads UID_MIN from login.defs (default 1000, as shadow-utils).
func uidMin(f *facts.Store) (uint32, *kvconf.Entry) {
	cfg, err := kvconf.Get(f, kvconf.Source{Syntax: kvconf.Space, Paths: []string{"etc/login.defs"}})
	if err != nil {
		return 1000, nil
	}
	if e := cfg.Lookup("", "UID_MIN", false, false); e != nil {
		if v, err := strconv.ParseUint(e.Value, 10, 32); err == nil {
			return uint32(v), e
		}
	}
	return 1000, nil
}

func (c *accountPropertyCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	db, err := accounts.Get(f)
	if err != nil {
		return check.FromErr("read account database", err)
	}
	if accountProperties[c.a.Property].shadow && !db.ShadowReadable {
		return check.Errorf("%s could not be read: %s", shadowFile, db.ShadowError)
	}
	if len(db.Users) == 0 && c.a.Property != "no_duplicate_group_names" && c.a.Property != "no_duplicate_gids" {
		return check.NotApplicable("%s has no accounts", passwdFile)
	}
	var bad []result.Evidence
	userEv := func(u *accounts.User, exp, obs string) {
		bad = append(bad, result.Evidence{Expected: exp, Observed: "user " + u.Name + ": " + obs, File: passwdFile, Line: u.Line})
	}
	shadowEv := func(u *accounts.User, exp, obs string) {
		ev := result.Evidence{Expected: exp, Observed: "user " + u.Name + ": " + obs, File: shadowFile}
		if u.Shadow != nil {
			ev.Line = u.Shadow.Line
		}
		bad = append(bad, ev)
	}
	var summary result.Evidence
	switch c.a.Property {
	case "uid0_only_root":
		exp := "only " + orList(append([]string{"root"}, c.a.Exempt...)) + " with UID 0"
		for i := range db.Users {
			u := &db.Users[i]
			if u.UID == 0 && u.Name != "root" && !slices.Contains(c.a.Exempt, u.Name) {
				userEv(u, exp, "UID 0")
			}
		}
		summary = result.Evidence{Expected: exp, Observed: "no other account has UID 0", File: passwdFile}
	case "no_empty_passwords", "shadowed_passwords":
		for i := range db.Users {
			u := &db.Users[i]
			if c.a.Property == "shadowed_passwords" {
				switch {
				case u.Passwd != "x":
					st, _ := accounts.Classify(u.Passwd)
					userEv(u, "password field x (in shadow)", "password field "+string(st))
				case u.Shadow == nil:
					userEv(u, "a shadow entry", "no entry in "+shadowFile)
				}
				continue
			}
			pw, ok := u.Password()
			if !ok {
				continue
			}
			if st, _ := accounts.Classify(pw); st == accounts.Empty {
				if u.Passwd == "x" {
					shadowEv(u, "a password, locked or disabled", "empty password")
				} else {
					userEv(u, "a password, locked or disabled", "empty password field in passwd")
				}
			}
		}
		if c.a.Property == "shadowed_passwords" {
			summary = result.Evidence{Expected: "every password in shadow", Observed: "all passwords shadowed", File: passwdFile}
		} else {
			summary = result.Evidence{Expected: "no empty passwords", Observed: "no account has an empty password", File: shadowFile}
		}
	case "no_duplicate_uids", "no_duplicate_user_names":
		seen := map[string]*accounts.User{}
		for i := range db.Users {
			u := &db.Users[i]
			k := u.Name
			what := "name"
			if c.a.Property == "no_duplicate_uids" {
				k, what = strconv.FormatUint(uint64(u.UID), 10), "UID"
			}
			if p, dup := seen[k]; dup {
				userEv(u, "unique "+what+"s", fmt.Sprintf("%s %s already used by %s (line %d)", what, k, p.Name, p.Line))
				continue
			}
			seen[k] = u
		}
		summary = result.Evidence{Expected: "unique " + map[bool]string{true: "UIDs", false: "user names"}[c.a.Property == "no_duplicate_uids"], Observed: fmt.Sprintf("%d accounts, no duplicates", len(db.Users)), File: passwdFile}
	case "no_duplicate_gids", "no_duplicate_group_names":
		seen := map[string]*accounts.Group{}
		what := "name"
		if c.a.Property == "no_duplicate_gids" {
			what = "GID"
		}
		for i := range db.Groups {
			g := &db.Groups[i]
			k := g.Name
			if what == "GID" {
				k = strconv.FormatUint(uint64(g.GID), 10)
			}
			if p, dup := seen[k]; dup {
				bad = append(bad, result.Evidence{Expected: "unique group " + what + "s", Observed: fmt.Sprintf("group %s: %s %s already used by %s (line %d)", g.Name, what, k, p.Name, p.Line), File: groupFile, Line: g.Line})
				continue
			}
			seen[k] = g
		}
		summary = result.Evidence{Expected: "unique group " + what + "s", Observed: fmt.Sprintf("%d groups, no duplicates", len(db.Groups)), File: groupFile}
	case "groups_exist":
		for i := range db.Users {
			u := &db.Users[i]
			if !db.HasGID(u.GID) {
				userEv(u, "primary group defined in "+groupFile, fmt.Sprintf("GID %d not defined", u.GID))
			}
		}
		summary = result.Evidence{Expected: "every primary group defined", Observed: "all primary groups exist", File: groupFile}
	case "root_gid0":
		found := false
		for i := range db.Users {
			u := &db.Users[i]
			if u.Name != "root" {
				continue
			}
			found = true
			ev := result.Evidence{Expected: "root primary GID 0", Observed: fmt.Sprintf("user root: GID %d", u.GID), File: passwdFile, Line: u.Line}
			if u.GID != 0 {
				bad = append(bad, ev)
			}
			summary = ev
		}
		if !found {
			return check.NotApplicable("%s has no root account", passwdFile)
		}
	case "root_password_protected":
		exp := "root locked, disabled or hashed with " + orList(c.a.Schemes)
		found := false
		for i := range db.Users {
			u := &db.Users[i]
			if u.Name != "root" {
				continue
			}
			found = true
			pw, ok := u.Password()
			if !ok {
				summary = result.Evidence{Expected: exp, Observed: "user root: no shadow entry (no password usable)", File: shadowFile}
				continue
			}
			st, sch := accounts.Classify(pw)
			obs := "user root: password " + string(st)
			if sch != "" {
				obs += " (" + sch + ")"
			}
			ev := result.Evidence{Expected: exp, Observed: obs, File: shadowFile}
			if u.Passwd != "x" {
				ev.File, ev.Line = passwdFile, u.Line
			} else if u.Shadow != nil {
				ev.Line = u.Shadow.Line
			}
			if st == accounts.Empty || st == accounts.Hashed && !containsFold(c.a.Schemes, sch) {
				bad = append(bad, ev)
			}
			summary = ev
		}
		if !found {
			return check.NotApplicable("%s has no root account", passwdFile)
		}
	case "system_accounts_nologin", "system_accounts_locked":
		min, src := uidMin(f)
		exempt := append([]string{"root"}, c.a.Exempt...)
		n := 0
		for i := range db.Users {
			u := &db.Users[i]
			if u.UID >= min || slices.Contains(exempt, u.Name) {
				continue
			}
			n++
			if c.a.Property == "system_accounts_nologin" {
				if !isNologin(u.Shell) {
					userEv(u, "a non-login shell (nologin or false)", "shell "+u.Shell)
				}
				continue
			}
			pw, ok := u.Password()
			if !ok {
				continue
			}
			if st, sch := accounts.Classify(pw); st == accounts.Hashed || st == accounts.Empty {
				obs := "password " + string(st)
				if sch != "" {
					obs += " (" + sch + ")"
				}
				if u.Passwd == "x" {
					shadowEv(u, "no usable password (locked or *)", obs)
				} else {
					userEv(u, "no usable password (locked or *)", obs)
				}
			}
		}
		what := "non-login shells"
		if c.a.Property == "system_accounts_locked" {
			what = "no usable password"
		}
		summary = result.Evidence{Expected: "system accounts (UID < " + strconv.FormatUint(uint64(min), 10) + ") with " + what,
			Observed: fmt.Sprintf("%d system accounts checked, exempt: %s", n, strings.Join(exempt, ", ")), File: passwdFile}
		if src != nil {
			summary.Note = fmt.Sprintf("UID_MIN from %s:%d", src.File, src.Line)
		}
	case "password_max_days", "password_min_days", "password_warn_days", "password_inactive":
		v := *c.a.Value
		var exp string
		var field func(s *accounts.Shadow) int64
		var okf func(x int64) bool
		switch c.a.Property {
		case "password_max_days":
			exp, field, okf = fmt.Sprintf("maximum password age <= %d days", v), func(s *accounts.Shadow) int64 { return s.MaxDays }, func(x int64) bool { return x >= 0 && x <= v }
		case "password_min_days":
			exp, field, okf = fmt.Sprintf("minimum password age >= %d days", v), func(s *accounts.Shadow) int64 { return s.MinDays }, func(x int64) bool { return x >= v }
		case "password_warn_days":
			exp, field, okf = fmt.Sprintf("password expiry warning >= %d days", v), func(s *accounts.Shadow) int64 { return s.WarnDays }, func(x int64) bool { return x >= v }
		default:
			exp, field, okf = fmt.Sprintf("inactive lock <= %d days after expiry", v), func(s *accounts.Shadow) int64 { return s.Inactive }, func(x int64) bool { return x >= 0 && x <= v }
		}
		n := 0
		for i := range db.Users {
			u := &db.Users[i]
			if u.Passwd != "x" || u.Shadow == nil {
				continue
			}
			if st, _ := accounts.Classify(u.Shadow.Hash); st != accounts.Hashed || slices.Contains(c.a.Exempt, u.Name) {
				continue
			}
			n++
			x := field(u.Shadow)
			if !okf(x) {
				obs := strconv.FormatInt(x, 10)
				if x < 0 {
					obs = "not set"
				}
				shadowEv(u, exp, obs)
			}
		}
		summary = result.Evidence{Expected: exp, Observed: fmt.Sprintf("%d accounts with a password, all compliant", n), File: shadowFile}
	case "shadow_hashing":
		exp := "hash scheme " + orList(c.a.Schemes)
		n := 0
		for i := range db.Users {
			u := &db.Users[i]
			pw, ok := u.Password()
			if !ok {
				continue
			}
			st, sch := accounts.Classify(pw)
			if sch == "" || st != accounts.Hashed && st != accounts.Locked {
				continue
			}
			n++
			if !containsFold(c.a.Schemes, sch) {
				if u.Passwd == "x" {
					shadowEv(u, exp, "hash scheme "+sch)
				} else {
					userEv(u, exp, "hash scheme "+sch+" in passwd")
				}
			}
		}
		summary = result.Evidence{Expected: exp, Observed: fmt.Sprintf("%d password hashes, all %s", n, orList(c.a.Schemes)), File: shadowFile}
	case "home_dirs":
		return c.homeDirs(f, db)
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	return check.Pass(summary)
}

func (c *accountPropertyCheck) homeDirs(f *facts.Store, db *accounts.DB) check.Outcome {
	min, _ := uidMin(f)
	t := f.Target()
	exp := fmt.Sprintf("home directory exists, owned by the account, mode %04o or stricter", c.maxMode)
	var bad []result.Evidence
	n := 0
	for i := range db.Users {
		u := &db.Users[i]
		if u.UID < min && u.UID != 0 || isNologin(u.Shell) || u.UID == 65534 || slices.Contains(c.a.Exempt, u.Name) {
			continue
		}
		if u.Home == "" || !path.IsAbs(u.Home) {
			bad = append(bad, result.Evidence{Expected: exp, Observed: "user " + u.Name + ": no absolute home directory", File: passwdFile, Line: u.Line})
			continue
		}
		n++
		fi, err := t.Stat(target.Clean(u.Home))
		if err != nil {
			obs := "user " + u.Name + ": " + u.Home + " absent"
			if !isNotExist(err) {
				return check.FromErr("stat "+u.Home, err)
			}
			bad = append(bad, result.Evidence{Expected: exp, Observed: obs, File: passwdFile, Line: u.Line})
			continue
		}
		var probs []string
		if !fi.Mode.IsDir() {
			probs = append(probs, "not a directory")
		}
		if fi.UID != u.UID {
			probs = append(probs, "owner "+db.UserName(fi.UID))
		}
		if m := PermBits(fi.Mode); m&^c.maxMode != 0 {
			probs = append(probs, fmt.Sprintf("mode %04o", m))
		}
		if len(probs) > 0 {
			bad = append(bad, result.Evidence{Expected: exp, Observed: "user " + u.Name + ": " + u.Home + " " + strings.Join(probs, ", "), File: u.Home})
		}
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	return check.Pass(result.Evidence{Expected: exp, Observed: fmt.Sprintf("%d interactive accounts, all compliant", n), File: passwdFile})
}
