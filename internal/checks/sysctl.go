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
	"github.com/cradle-cra/cradle/internal/collect/osrelease"
	"github.com/cradle-cra/cradle/internal/collect/sysctl"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// sysctlTemplate checks kernel parameters:
//
//	sysctl: {key: kernel.randomize_va_space, value: "2"}
//	sysctl: {keys: [net.ipv4.conf.all.rp_filter, net.ipv4.conf.default.rp_filter], allowed: ["1", "2"]}
//	sysctl: {key: kernel.perf_event_paranoid, min: 2, require_persisted: true}
//
// On a live target the running value (/proc/sys) must comply, and so must
// a persisted value if sysctl.d sets one; a compliant running value that
// nothing persists passes with a note unless require_persisted is set.
// Offline the persisted value is checked, falling back to the kernel's
// built-in default; a key with neither fails as "not set". A key the
// running kernel does not have is skipped (not_applicable when all are).
type sysctlTemplate struct{}

type sysctlArgs struct {
	Key              string   `yaml:"key"`
	Keys             []string `yaml:"keys"`
	Value            string   `yaml:"value"`
	Allowed          []string `yaml:"allowed"`
	Min              *int64   `yaml:"min"`
	Max              *int64   `yaml:"max"`
	RequirePersisted bool     `yaml:"require_persisted"`
}

type sysctlCheck struct {
	a    sysctlArgs
	keys []string
}

func (sysctlTemplate) Name() string { return "sysctl" }

func (sysctlTemplate) New(n *yaml.Node) (check.Check, error) {
	var a sysctlArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	keys := a.Keys
	if a.Key != "" {
		keys = append([]string{a.Key}, keys...)
	}
	if len(keys) == 0 {
		return nil, check.ArgErrorf(n, "key or keys is required")
	}
	for i, k := range keys {
		keys[i] = sysctl.NormalizeKey(k)
		if keys[i] == "" || strings.ContainsAny(keys[i], "*?[") {
			return nil, check.ArgErrorf(n, "key %q is not a sysctl key", k)
		}
	}
	set := 0
	if a.Value != "" {
		set++
	}
	if a.Allowed != nil {
		set++
	}
	if a.Min != nil || a.Max != nil {
		set++
	}
	if set != 1 {
		return nil, check.ArgErrorf(n, "set exactly one of value, allowed or min/max")
	}
	a.Value = sysctl.NormalizeValue(a.Value)
	for i, v := range a.Allowed {
		a.Allowed[i] = sysctl.NormalizeValue(v)
	}
	return &sysctlCheck{a: a, keys: keys}, nil
}

func (c *sysctlCheck) Fixable() bool { return true }

func (c *sysctlCheck) expected(key string) string {
	switch {
	case c.a.Value != "":
		return key + " = " + c.a.Value
	case c.a.Allowed != nil:
		return key + " = " + orList(c.a.Allowed)
	}
	var p []string
	if c.a.Min != nil {
		p = append(p, fmt.Sprintf(">= %d", *c.a.Min))
	}
	if c.a.Max != nil {
		p = append(p, fmt.Sprintf("<= %d", *c.a.Max))
	}
	return key + " " + strings.Join(p, " and ")
}

func (c *sysctlCheck) ok(v string) bool {
	v = sysctl.NormalizeValue(v)
	switch {
	case c.a.Value != "":
		return v == c.a.Value
	case c.a.Allowed != nil:
		for _, a := range c.a.Allowed {
			if v == a {
				return true
			}
		}
		return false
	}
	first, _, _ := strings.Cut(v, " ")
	n, err := strconv.ParseInt(first, 0, 64)
	if err != nil {
		return false
	}
	return (c.a.Min == nil || n >= *c.a.Min) && (c.a.Max == nil || n <= *c.a.Max)
}

func (c *sysctlCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	if f.Target().Kind() == target.KindImage {
		return check.NotApplicable("container images carry no kernel parameters; the host kernel's apply")
	}
	cfg, err := sysctl.Get(f)
	if err != nil {
		return check.FromErr("reading sysctl configuration", err)
	}
	t := f.Target()
	var families []string
	if info, err := osrelease.Get(f); err == nil {
		families = info.Families()
	}
	var ev []result.Evidence
	failed, checked := false, 0
	var absent []string
	for _, key := range c.keys {
		exp := c.expected(key)
		p, persisted := cfg.Persisted(key)
		var pev result.Evidence
		if persisted {
			pev = result.Evidence{Expected: exp, Observed: key + " = " + p.Value + " (persisted)", File: p.File, Line: p.Num}
			if p.Glob {
				pev.Note = "set by pattern " + p.Key
			}
			if prev := cfg.Overridden(key); len(prev) > 0 {
				pev.Note = join(pev.Note, fmt.Sprintf("overrides %s:%d", prev[len(prev)-1].File, prev[len(prev)-1].Num))
			}
		}
		if t.Live() {
			rv, file, err := sysctl.Runtime(t, key)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					absent = append(absent, key)
					continue
				}
				return check.FromErr("reading "+file, err)
			}
			checked++
			rev := result.Evidence{Expected: exp, Observed: key + " = " + rv + " (running)", File: file}
			if !c.ok(rv) {
				failed = true
			}
			switch {
			case persisted:
				if !c.ok(p.Value) {
					failed = true
					pev.Note = join(pev.Note, "persisted value is wrong and would apply at the next boot")
				}
				ev = append(ev, rev, pev)
			case c.a.RequirePersisted:
				failed = true
				rev.Note = "not persisted in any sysctl.d file; the value is lost at reboot"
				ev = append(ev, rev)
			default:
				rev.Note = "not persisted in any sysctl.d file"
				ev = append(ev, rev)
			}
			continue
		}
		checked++
		switch {
		case persisted:
			if !c.ok(p.Value) {
				failed = true
			}
			ev = append(ev, pev)
		default:
			d, known := sysctl.Default(key, families)
			if !known {
				failed = true
				ev = append(ev, result.Evidence{Expected: exp, Observed: key + " not set", Note: "no sysctl.d file sets it and its kernel default is unknown"})
				continue
			}
			e := result.Evidence{Expected: exp, Observed: key + " = " + d + " (kernel default)", Note: "not set in any sysctl.d file"}
			if !c.ok(d) || c.a.RequirePersisted {
				failed = true
			}
			ev = append(ev, e)
		}
	}
	if checked == 0 {
		return check.NotApplicable("the running kernel has no %s", strings.Join(absent, ", "))
	}
	if len(absent) > 0 {
		ev = append(ev, result.Evidence{Observed: "not provided by the running kernel: " + strings.Join(absent, ", ")})
	}
	if failed {
		return check.Fail(ev...)
	}
	return check.Pass(ev...)
}
