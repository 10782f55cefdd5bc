package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/collect/auditrules"
	"github.com/cradle-cra/cradle/internal/collect/firewall"
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

// FactSource is one entry of the fact catalogue: a fact the expr template
// exposes as a CEL variable. The same catalogue generates docs/facts.md
// (TestFactsDoc), so what expressions can use and what the documentation
// says cannot drift apart. collect returns plain data: map[string]any,
// []any, string, bool, int64, float64 or nil. Only sources an expression
// references are collected.
type FactSource struct {
	// Name is the CEL variable.
	Name string
	// Description says what the fact is, in one sentence.
	Description string
	// Live marks runtime facts (/proc): an expression using one is
	// not_applicable on targets without runtime state.
	Live bool
	// Fields are the top-level fields expressions see.
	Fields  []FactField
	collect func(ctx context.Context, s *facts.Store) (any, error)
}

// FactField is one field of a fact as expressions see it. Type uses CEL's
// names: string, int, bool, double, list(T), map(K, V), and {field: T, …}
// for objects, with field? for fields that may be absent.
type FactField struct {
	Name     string
	Type     string
	Optional bool
	Doc      string
}

// FactSources returns the catalogue, in documentation order.
func FactSources() []FactSource { return slices.Clone(exprSources) }

// exprSources lists the facts available to expressions. To expose another
// collector add one entry, usually jsonSource(name, description, pkg.Get);
// the collector's JSON tags become the field names and types.
var exprSources = []FactSource{
	{Name: "target", Description: "What is scanned.", Fields: []FactField{
		{Name: "kind", Type: "string", Doc: "host, rootfs or image"},
		{Name: "name", Type: "string", Doc: "the host name, directory or image file"},
		{Name: "live", Type: "bool", Doc: "runtime state (/proc) is available"},
	}, collect: targetFact},
	jsonSource("os", "The platform from os-release(5).", osrelease.Get),
	{Name: "accounts", Description: "Users and groups from passwd, shadow and group, without password hashes.", Fields: accountsFields, collect: accountsFact},
	jsonSource("sshd", "The effective OpenSSH server configuration (Include files expanded, Match blocks apart).", sshd.Get,
		FactField{Name: "options", Type: "map(string, string)", Doc: "lower-case keyword → effective global value, for every keyword set and the common security keywords even when unset (sshd's default)"},
		FactField{Name: "overridden", Type: "list(string)", Doc: "lower-case keywords some Match block changes"},
	).with(sshdFact),
	jsonSource("systemd", "Unit files, enablement links and the default target.", systemd.Get,
		FactField{Name: "units", Type: "map(string, string)", Doc: "unit name → persistent state (enabled, disabled, static, masked, …)"},
	).with(systemdFact),
	jsonSource("packages", "The installed-package inventory (dpkg, apk, rpm).", packages.Get,
		FactField{Name: "installed", Type: "map(string, string)", Doc: "name → version of every installed package"},
	).with(packagesFact),
	jsonSource("sysctl", "Persisted kernel parameters (sysctl.conf and sysctl.d).", sysctl.Get,
		FactField{Name: "persisted", Type: "map(string, string)", Doc: "key → winning persisted value of every key assigned explicitly"},
	).with(sysctlFact),
	jsonSource("mounts", "Filesystems from fstab and, on live targets, the running mounts.", mounts.Get),
	jsonSource("pam", "PAM stacks.", pam.Get),
	jsonSource("modprobe", "modprobe.d configuration.", modprobe.Get),
	jsonSource("pkgtrust", "Package sources and their signature policy.", pkgtrust.Get),
	jsonSource("sudoers", "The sudoers policy.", sudoers.Get),
	jsonSource("limits", "limits.conf entries.", limits.Get),
	jsonSource("auditrules", "Persisted audit rules.", auditrules.Get),
	jsonSource("rsyslog", "rsyslog configuration.", rsyslog.Get),
	jsonSource("firewall", "The host firewall: managers enabled at boot, the ruleset they load and, on the scanning host, the running one.", firewall.Get),
	jsonSource("netsock", "Listening sockets (runtime).", netsock.Get).live(),
	jsonSource("kmodloaded", "Loaded kernel modules (runtime).", kmodloaded.Get).live(),
}

// accountsFields documents accountsFact.
var accountsFields = []FactField{
	{Name: "users", Type: "list(user)", Doc: "user: {name: string, uid: int, gid: int, gecos: string, home: string, shell: string, line: int, " +
		"login_shell: bool, has_shadow: bool, hash_scheme?: string, locked?: bool, empty_password?: bool, password_usable?: bool, password_file?: string, " +
		"last_change?: int, min_days?: int, max_days?: int, warn_days?: int, inactive?: int, expire?: int, shadow_line?: int}; " +
		"the password fields describe the field login uses (passwd's own or shadow's) and are absent when /etc/shadow cannot be read; the aging fields need a shadow entry"},
	{Name: "by_name", Type: "map(string, user)", Doc: "the first user of each name"},
	{Name: "groups", Type: "list({name: string, gid: int, members: list(string), line: int})"},
	{Name: "shadow_readable", Type: "bool"},
}

func lookupExprSource(name string) (FactSource, bool) {
	for _, s := range exprSources {
		if s.Name == name {
			return s, true
		}
	}
	return FactSource{}, false
}

// jsonSource catalogues a typed fact exposed through its JSON form; extra
// documents fields a projection (with) adds.
func jsonSource[T any](name, description string, get func(*facts.Store) (T, error), extra ...FactField) FactSource {
	return FactSource{Name: name, Description: description, Fields: append(fieldsOf(reflect.TypeFor[T]()), extra...), collect: jsonFact(get)}
}

// with replaces the plain JSON form by a projection that adds fields.
func (s FactSource) with(collect func(context.Context, *facts.Store) (any, error)) FactSource {
	s.collect = collect
	return s
}

func (s FactSource) live() FactSource {
	s.Live = true
	return s
}

// fieldsOf lists the JSON fields of a struct type (behind pointers).
func fieldsOf(t reflect.Type) []FactField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []FactField
	for _, f := range jsonFields(t) {
		out = append(out, FactField{Name: f.name, Type: celType(f.typ, map[reflect.Type]bool{t: true}), Optional: f.optional})
	}
	return out
}

type jsonField struct {
	name     string
	typ      reflect.Type
	optional bool
}

// jsonFields follows encoding/json's rules for the fields this package's
// facts use: tags, "-", omitempty, exported fields, embedded structs.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for f := range t.Fields() {
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name, f.Type, strings.Contains(opts, "omitempty")})
	}
	return out
}

// celType names the CEL type a Go value of type t becomes through JSON.
func celType(t reflect.Type, seen map[reflect.Type]bool) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "int"
	case reflect.Float32, reflect.Float64:
		return "double"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string"
		}
		return "list(" + celType(t.Elem(), seen) + ")"
	case reflect.Map:
		return "map(" + celType(t.Key(), seen) + ", " + celType(t.Elem(), seen) + ")"
	case reflect.Struct:
		if seen[t] {
			return "{…}"
		}
		seen[t] = true
		defer delete(seen, t)
		var parts []string
		for _, f := range jsonFields(t) {
			opt := ""
			if f.optional {
				opt = "?"
			}
			parts = append(parts, f.name+opt+": "+celType(f.typ, seen))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "dyn"
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
