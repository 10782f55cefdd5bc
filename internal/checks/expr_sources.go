package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/collect/auditrules"
	"github.com/cradle-cra/cradle/internal/collect/kmodloaded"
	"github.com/cradle-cra/cradle/internal/collect/limits"
	"github.com/cradle-cra/cradle/internal/collect/modprobe"
	"github.com/cradle-cra/cradle/internal/collect/mounts"
	"github.com/cradle-cra/cradle/internal/collect/netsock"
	"github.com/cradle-cra/cradle/internal/collect/osrelease"
	"github.com/cradle-cra/cradle/internal/collect/packages"
	"github.com/cradle-cra/cradle/internal/collect/pam"
	"github.com/cradle-cra/cradle/internal/collect/pkgtrust"
	"github.com/cradle-cra/cradle/internal/collect/rsyslog"
	"github.com/cradle-cra/cradle/internal/collect/sshd"
	"github.com/cradle-cra/cradle/internal/collect/sudoers"
	"github.com/cradle-cra/cradle/internal/collect/sysctl"
	"github.com/cradle-cra/cradle/internal/collect/systemd"
	"github.com/cradle-cra/cradle/internal/credcheck"
	"github.com/cradle-cra/cradle/internal/facts"
)

// exprSource is one fact the expr template exposes as a CEL variable.
// collect returns plain data: map[string]any, []any, string, bool, int64,
// float64 or nil. Only sources an expression references are collected.
type exprSource struct {
	name    string
	doc     string
	collect func(ctx context.Context, s *facts.Store) (any, error)
	// live marks runtime facts (/proc): an expression using one is
	// not_applicable on targets without runtime state.
	live bool
}

// exprSources lists the facts available to expressions. To expose another
// collector add one line, usually {name, doc, jsonFact(pkg.Get), live};
// the collector's JSON tags become the field names.
var exprSources = []exprSource{
	{"target", "kind (host, rootfs, image), name, live (runtime state available)", targetFact, false},
	{"os", "os-release(5): id, id_like, version_id, pretty_name, fields, source", jsonFact(osrelease.Get), false},
	{"accounts", "users (list), by_name (map), groups, shadow_readable; see accountsFact", accountsFact, false},
	{"sshd", "installed, present, options (lower-case keyword: effective value), overridden, directives, files", sshdFact, false},
	{"systemd", "init, default_target, links, units (name: state)", systemdFact, false},
	{"packages", "packages (list), installed (name: version)", packagesFact, false},
	{"sysctl", "persisted (key: winning value), assignments, files", sysctlFact, false},
	{"mounts", "fstab, running (live only): spec, dir, type, options", jsonFact(mounts.Get), false},
	{"pam", "PAM stacks", jsonFact(pam.Get), false},
	{"modprobe", "modprobe.d configuration", jsonFact(modprobe.Get), false},
	{"pkgtrust", "package sources and signature policy", jsonFact(pkgtrust.Get), false},
	{"sudoers", "sudoers policy", jsonFact(sudoers.Get), false},
	{"limits", "limits.conf entries", jsonFact(limits.Get), false},
	{"auditrules", "persisted audit rules", jsonFact(auditrules.Get), false},
	{"rsyslog", "rsyslog configuration", jsonFact(rsyslog.Get), false},
	{"netsock", "listening sockets: listening [{proto, addr, port, uid}]", jsonFact(netsock.Get), true},
	{"kmodloaded", "loaded kernel modules", jsonFact(kmodloaded.Get), true},
}

func lookupExprSource(name string) (exprSource, bool) {
	for _, s := range exprSources {
		if s.name == name {
			return s, true
		}
	}
	return exprSource{}, false
}

// jsonFact adapts a typed fact getter: the fact is converted to plain
// data through its JSON form, so fields tagged json:"-" (secrets) never
// reach an expression.
func jsonFact[T any](get func(*facts.Store) (T, error)) func(context.Context, *facts.Store) (any, error) {
	return func(_ context.Context, s *facts.Store) (any, error) {
		v, err := get(s)
		if err != nil {
			return nil, err
		}
		return toPlain(v)
	}
}

// toPlain converts v to JSON-shaped data, with integral numbers as int64
// so expressions can compare them with integer literals.
func toPlain(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("convert fact: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("convert fact: %w", err)
	}
	return fixNumbers(out), nil
}

// plainMap is toPlain for facts that are structs.
func plainMap(v any) (map[string]any, error) {
	out, err := toPlain(v)
	if err != nil {
		return nil, err
	}
	m, ok := out.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("convert fact: %T is not an object", v)
	}
	return m, nil
}

func fixNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = fixNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = fixNumbers(e)
		}
	}
	return v
}

// accountsFact exposes the account database without password hashes:
//
//	users: [{name, uid, gid, gecos, home, shell, line, login_shell,
//	         has_shadow, last_change, min_days, max_days, warn_days,
//	         inactive, expire, shadow_line (with a shadow entry), and, for
//	         the password field login uses (passwd's own, or shadow's):
//	         hash_scheme, locked, empty_password, password_usable,
//	         password_file}]
//	by_name: {name: user}
//	groups: [{name, gid, members, line}]
//	shadow_readable: bool
//
// When /etc/shadow cannot be read the password fields are left out, so an
// expression using them fails with an error instead of passing.
func accountsFact(_ context.Context, s *facts.Store) (any, error) {
	db, err := accounts.Get(s)
	if err != nil {
		return nil, err
	}
	users := make([]any, 0, len(db.Users))
	byName := map[string]any{}
	for _, u := range db.Users {
		m := map[string]any{
			"name": u.Name, "uid": int64(u.UID), "gid": int64(u.GID), "gecos": u.Gecos,
			"home": u.Home, "shell": u.Shell, "line": int64(u.Line),
			"login_shell": !nonLoginShell(u.Shell), "has_shadow": u.Shadow != nil,
		}
		field, src, ok := effectivePassword(u)
		if db.ShadowReadable || (ok && src.File == "/etc/passwd") {
			m["hash_scheme"], m["locked"], m["empty_password"], m["password_usable"] = "", false, false, false
			if ok {
				info := credcheck.Classify(field)
				m["hash_scheme"] = string(info.Scheme)
				m["locked"] = info.Locked
				m["empty_password"] = info.Empty
				m["password_usable"] = info.Usable
				m["password_file"] = src.File
			}
		}
		if sh := u.Shadow; sh != nil {
			m["last_change"], m["min_days"], m["max_days"] = sh.LastChange, sh.MinDays, sh.MaxDays
			m["warn_days"], m["inactive"], m["expire"] = sh.WarnDays, sh.Inactive, sh.Expire
			m["shadow_line"] = int64(sh.Line)
		}
		users = append(users, m)
		if _, dup := byName[u.Name]; !dup {
			byName[u.Name] = m
		}
	}
	groups := make([]any, 0, len(db.Groups))
	for _, g := range db.Groups {
		members := make([]any, 0, len(g.Members))
		for _, mb := range g.Members {
			members = append(members, mb)
		}
		groups = append(groups, map[string]any{"name": g.Name, "gid": int64(g.GID), "members": members, "line": int64(g.Line)})
	}
	return map[string]any{"users": users, "by_name": byName, "groups": groups, "shadow_readable": db.ShadowReadable}, nil
}

// sshdFact exposes the effective sshd configuration: options maps every
// keyword set in the configuration, and the common security keywords
// even when unset (their compiled-in default), lower-case, to its global
// value; overridden lists keywords some Match block changes.
func sshdFact(_ context.Context, s *facts.Store) (any, error) {
	c, err := sshd.Get(s)
	if err != nil {
		return nil, err
	}
	m, err := plainMap(c)
	if err != nil {
		return nil, err
	}
	kws := map[string]bool{}
	for _, k := range []string{"PermitRootLogin", "PasswordAuthentication", "KbdInteractiveAuthentication",
		"PermitEmptyPasswords", "PubkeyAuthentication", "Port", "ListenAddress", "X11Forwarding",
		"AllowTcpForwarding", "PermitUserEnvironment", "HostbasedAuthentication", "UsePAM"} {
		kws[sshd.Canonical(k)] = true
	}
	for _, d := range c.Directives {
		kws[d.Keyword] = true
	}
	opts := map[string]any{}
	overridden := []any{}
	for k := range kws {
		v := c.Effective(k)
		if v.Known {
			opts[strings.ToLower(k)] = v.String()
		}
		if len(v.Overrides) > 0 {
			overridden = append(overridden, strings.ToLower(k))
		}
	}
	m["options"], m["overridden"] = opts, overridden
	return m, nil
}

// systemdFact adds units: the persistent state (enabled, disabled,
// static, masked) of every known unit name.
func systemdFact(_ context.Context, s *facts.Store) (any, error) {
	c, err := systemd.Get(s)
	if err != nil {
		return nil, err
	}
	m, err := plainMap(c)
	if err != nil {
		return nil, err
	}
	units := map[string]any{}
	for _, n := range c.Names() {
		st, err := c.State(n)
		if err != nil {
			return nil, err
		}
		units[n] = st.State
	}
	m["units"] = units
	return m, nil
}

// packagesFact adds installed: name to version of installed packages.
func packagesFact(_ context.Context, s *facts.Store) (any, error) {
	db, err := packages.Get(s)
	if err != nil {
		return nil, err
	}
	m, err := plainMap(db)
	if err != nil {
		return nil, err
	}
	inst := map[string]any{}
	for _, p := range db.Packages {
		if p.Installed {
			inst[p.Name] = p.Version
		}
	}
	m["installed"] = inst
	return m, nil
}

// sysctlFact adds persisted: the winning persisted value of every key
// assigned explicitly.
func sysctlFact(_ context.Context, s *facts.Store) (any, error) {
	c, err := sysctl.Get(s)
	if err != nil {
		return nil, err
	}
	m, err := plainMap(c)
	if err != nil {
		return nil, err
	}
	pers := map[string]any{}
	for _, a := range c.Assignments {
		if a.Exclude || strings.ContainsAny(a.Key, "*?[") {
			continue
		}
		if w, ok := c.Persisted(a.Key); ok {
			pers[sysctl.NormalizeKey(a.Key)] = w.Value
		}
	}
	m["persisted"] = pers
	return m, nil
}

// targetFact describes what is scanned, so rules about shipped images can
// declare themselves not applicable to a running host.
func targetFact(_ context.Context, s *facts.Store) (any, error) {
	t := s.Target()
	return map[string]any{"kind": string(t.Kind()), "name": t.Name(), "live": t.Live()}, nil
}
