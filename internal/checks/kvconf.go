package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/kvconf"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
)

// configKVTemplate checks one setting of a key-value configuration file:
//
//	config_kv: {syntax: space, paths: [/etc/login.defs], key: PASS_MAX_DAYS, max: 365}
//	config_kv: {syntax: systemd, paths: [/etc/systemd/journald.conf], dropins: true,
//	            section: Journal, key: Storage, allowed: [persistent], default: auto}
//	config_kv: {syntax: space, paths: [/etc/chrony/chrony.conf], keys: [server, pool], present: true}
//	config_kv: {syntax: space, paths: [/etc/chrony/chrony.conf], key: allow, absent: true}
//	config_kv: {syntax: equals, paths: [/etc/audit/auditd.conf], key: admin_space_left_action,
//	            allowed: [single, halt], default: suspend, guard: auditd_action}
//
// The effective value is the last occurrence across paths (read in order),
// or the first with first_wins. A key that is not set takes default when
// given (the program's built-in value), otherwise it is judged by missing
// (fail by default). When none of the files exists the result is
// missing_file (not_applicable by default: the component is not installed).
type configKVTemplate struct{}

type configKVArgs struct {
	Syntax          string   `yaml:"syntax"`
	Paths           []string `yaml:"paths"`
	DropIns         bool     `yaml:"dropins"`
	Section         string   `yaml:"section"`
	Key             string   `yaml:"key"`
	Keys            []string `yaml:"keys"`
	FirstWins       bool     `yaml:"first_wins"`
	CaseInsensitive bool     `yaml:"case_insensitive"`
	Present         bool     `yaml:"present"`
	Absent          bool     `yaml:"absent"`
	Allowed         []string `yaml:"allowed"`
	Forbidden       []string `yaml:"forbidden"`
	Min             *int64   `yaml:"min"`
	Max             *int64   `yaml:"max"`
	Umask           string   `yaml:"umask"`
	Default         *string  `yaml:"default"`
	Missing         string   `yaml:"missing"`
	MissingFile     string   `yaml:"missing_file"`
	// FixValue is what cradle fix sets when the rule only constrains the
	// value loosely (present: true) and nothing on the target suggests one,
	// e.g. a public NTP pool; tailor it with a rule parameter.
	FixValue string `yaml:"fix_value"`
	// Guard names a precondition the fix must meet before it sets a
	// value (kvGuards): a value that would take the system down where
	// the precondition fails is skipped or the fix deferred.
	Guard string `yaml:"guard"`
}

// valueSpec constrains one setting's value; shared by several templates.
type valueSpec struct {
	// Present only requires the key to be set.
	Present bool
	// Allowed values, compared case-insensitively.
	Allowed   []string
	Forbidden []string
	Min, Max  *int64
	// Umask requires an octal umask value to mask at least these bits.
	Umask string
	umask uint64
}

func (v *valueSpec) validate(n *yaml.Node) error {
	if !v.Present && v.Allowed == nil && v.Forbidden == nil && v.Min == nil && v.Max == nil && v.Umask == "" {
		return check.ArgErrorf(n, "set one of present, allowed, forbidden, min, max, umask")
	}
	if v.Umask != "" {
		u, err := strconv.ParseUint(v.Umask, 8, 32)
		if err != nil || u > 0777 {
			return check.ArgErrorf(n, "umask %q is not an octal mask like \"027\"", v.Umask)
		}
		v.umask = u
	}
	return nil
}

// expected describes the constraint for evidence.
func (v *valueSpec) expected(key string) string {
	var parts []string
	if v.Present {
		parts = append(parts, "set")
	}
	if v.Allowed != nil {
		parts = append(parts, orList(v.Allowed))
	}
	if v.Forbidden != nil {
		parts = append(parts, "not "+orList(v.Forbidden))
	}
	if v.Min != nil {
		parts = append(parts, fmt.Sprintf(">= %d", *v.Min))
	}
	if v.Max != nil {
		parts = append(parts, fmt.Sprintf("<= %d", *v.Max))
	}
	if v.Umask != "" {
		parts = append(parts, "umask masking "+v.Umask)
	}
	return key + " " + strings.Join(parts, ", ")
}

// ok reports whether value satisfies the spec.
func (v *valueSpec) ok(value string) bool {
	if v.Allowed != nil && !containsFold(v.Allowed, value) {
		return false
	}
	if v.Forbidden != nil && containsFold(v.Forbidden, value) {
		return false
	}
	if v.Min != nil || v.Max != nil {
		n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		if err != nil {
			return false
		}
		if v.Min != nil && n < *v.Min || v.Max != nil && n > *v.Max {
			return false
		}
	}
	if v.Umask != "" {
		u, err := strconv.ParseUint(strings.TrimSpace(value), 8, 32)
		if err != nil || u&v.umask != v.umask {
			return false
		}
	}
	return true
}

func containsFold(list []string, s string) bool {
	s = strings.TrimSpace(s)
	for _, a := range list {
		if strings.EqualFold(a, s) {
			return true
		}
	}
	return false
}

func validStatus(n *yaml.Node, field, v string) error {
	switch v {
	case "", "pass", "fail", "not_applicable":
		return nil
	}
	return check.ArgErrorf(n, "%s must be pass, fail or not_applicable", field)
}

func statusOutcome(status, def string, reason string, ev ...result.Evidence) check.Outcome {
	if status == "" {
		status = def
	}
	switch status {
	case "pass":
		return check.Pass(ev...)
	case "not_applicable":
		o := check.NotApplicable("%s", reason)
		o.Evidence = ev
		return o
	}
	o := check.Fail(ev...)
	o.Reason = reason
	return o
}

type configKVCheck struct {
	a configKVArgs
	valueSpec
	src kvconf.Source
}

func (configKVTemplate) Name() string { return "config_kv" }

func (configKVTemplate) New(n *yaml.Node) (check.Check, error) {
	var a configKVArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	syn, err := kvconf.ParseSyntax(a.Syntax)
	if err != nil {
		return nil, check.ArgErrorf(n, "%v", err)
	}
	if len(a.Paths) == 0 {
		return nil, check.ArgErrorf(n, "paths: at least one path is required")
	}
	if (a.Key == "") == (len(a.Keys) == 0) {
		return nil, check.ArgErrorf(n, "set exactly one of key and keys")
	}
	if a.Key != "" {
		a.Keys = []string{a.Key}
	}
	if a.DropIns && syn != kvconf.Systemd {
		return nil, check.ArgErrorf(n, "dropins needs syntax systemd")
	}
	if _, ok := kvGuards[a.Guard]; a.Guard != "" && !ok {
		return nil, check.ArgErrorf(n, "guard %q is not one of %s", a.Guard, orList(kvGuardNames()))
	}
	if a.Absent {
		if a.Present || a.Allowed != nil || a.Forbidden != nil || a.Min != nil || a.Max != nil || a.Umask != "" || a.Default != nil {
			return nil, check.ArgErrorf(n, "absent cannot be combined with value constraints or default")
		}
		return &configKVCheck{a: a, src: kvconf.Source{Syntax: syn, Paths: a.Paths, DropIns: a.DropIns}}, nil
	}
	vs := valueSpec{Present: a.Present, Allowed: a.Allowed, Forbidden: a.Forbidden, Min: a.Min, Max: a.Max, Umask: a.Umask}
	if err := vs.validate(n); err != nil {
		return nil, err
	}
	if err := validStatus(n, "missing", a.Missing); err != nil {
		return nil, err
	}
	if err := validStatus(n, "missing_file", a.MissingFile); err != nil {
		return nil, err
	}
	return &configKVCheck{a: a, valueSpec: vs, src: kvconf.Source{Syntax: syn, Paths: a.Paths, DropIns: a.DropIns}}, nil
}

func (c *configKVCheck) Fixable() bool { return true }

func (c *configKVCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	cfg, err := kvconf.Get(f, c.src)
	if err != nil {
		return check.FromErr("read configuration", err)
	}
	name := strings.Join(c.a.Keys, "/")
	if c.a.Section != "" {
		name = "[" + c.a.Section + "] " + name
	}
	exp := c.expected(name)
	if c.a.Absent {
		exp = name + " not set"
	}
	if len(cfg.Files) == 0 {
		return statusOutcome(c.a.MissingFile, "not_applicable",
			fmt.Sprintf("%s does not exist", orList(cfg.Missing)),
			result.Evidence{Expected: exp, Observed: "file absent", File: first(cfg.Missing)})
	}
	var e *kvconf.Entry
	for _, k := range c.a.Keys {
		if x := cfg.Lookup(c.a.Section, k, c.a.FirstWins, c.a.CaseInsensitive); x != nil {
			if e == nil || (!c.a.FirstWins && later(cfg, x, e)) || (c.a.FirstWins && later(cfg, e, x)) {
				e = x
			}
		}
	}
	if c.a.Absent {
		if e != nil && (cfg.Syntax != kvconf.Systemd || e.Value != "") {
			return check.Fail(result.Evidence{Expected: exp, Observed: e.Key + " " + e.Value, File: e.File, Line: e.Line})
		}
		return check.Pass(result.Evidence{Expected: exp, Observed: name + " not set", File: cfg.Files[len(cfg.Files)-1]})
	}
	// In systemd syntax an empty assignment resets the key to its default.
	if e != nil && (cfg.Syntax != kvconf.Systemd || e.Value != "") {
		ev := result.Evidence{Expected: exp, Observed: e.Key + " " + e.Value, File: e.File, Line: e.Line, Note: stoppedNote(cfg)}
		if c.ok(e.Value) {
			return check.Pass(ev)
		}
		return check.Fail(ev)
	}
	ev := result.Evidence{Expected: exp, File: cfg.Files[len(cfg.Files)-1], Note: stoppedNote(cfg)}
	if e != nil {
		ev.File, ev.Line = e.File, e.Line
	}
	if c.a.Default != nil && !c.a.Present {
		ev.Observed = fmt.Sprintf("%s not set (default %s)", name, *c.a.Default)
		if c.ok(*c.a.Default) {
			return check.Pass(ev)
		}
		return check.Fail(ev)
	}
	ev.Observed = name + " not set"
	return statusOutcome(c.a.Missing, "fail", name+" is not set", ev)
}

// stoppedNote explains settings missing because the reader stopped early.
func stoppedNote(cfg *kvconf.Config) string {
	if cfg.Stopped == nil {
		return ""
	}
	return "reading stopped at " + cfg.Stopped.String() + "; later settings are not applied"
}

// later reports whether a comes after b in read order.
func later(cfg *kvconf.Config, a, b *kvconf.Entry) bool {
	ia, ib := fileIndex(cfg, a.File), fileIndex(cfg, b.File)
	if ia != ib {
		return ia > ib
	}
	return a.Line > b.Line
}

func fileIndex(cfg *kvconf.Config, f string) int {
	for i, x := range cfg.Files {
		if x == f {
			return i
		}
	}
	return -1
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
