package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
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
//	sysctl: {keys: [net.ipv4.conf.all.rp_filter, net.ipv4.conf.default.rp_filter], allowed: ["1", "2"], combine: max}
//
// On a live target the running value (/proc/sys) must comply, and so must
// a persisted value if sysctl.d sets one; a compliant running value that
// nothing persists passes with a note unless require_persisted is set.
// Offline the persisted value is checked, falling back to the kernel's
// built-in default for the distribution; a key with neither is an error
// ("unknown": cradle cannot tell). A key the running kernel does not have
// is skipped (not_applicable when all are). With combine: max the largest
// of the keys' values is judged instead of each.
type sysctlTemplate struct{}

type sysctlArgs struct {
	Key              string   `yaml:"key"`
	Keys             []string `yaml:"keys"`
	Value            string   `yaml:"value"`
	Allowed          []string `yaml:"allowed"`
	Min              *int64   `yaml:"min"`
	Max              *int64   `yaml:"max"`
	RequirePersisted bool     `yaml:"require_persisted"`
	// Combine: max judges the largest value of the keys (rp_filter's
	// max(conf.all, conf.IFACE)), on a live host per interface too.
	Combine string `yaml:"combine"`
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
	if a.Combine != "" && a.Combine != "max" {
		return nil, check.ArgErrorf(n, "combine must be max")
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

// keyValue is one key's value from one source, with its evidence.
type keyValue struct {
	key   string
	value string
	ev    result.Evidence
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
	var absent, unknown []string
	var boot, running []keyValue // per key, for combine: max
	for _, key := range c.keys {
		exp := c.expected(key)
		p, persisted := cfg.Persisted(key)
		var pev result.Evidence
		if persisted {
			pev = result.Evidence{Expected: exp, Observed: key + " = " + p.Value + " (persisted)", File: p.File, Line: p.Num}
			switch {
			case p.Via != "" && p.Glob:
				pev.Note = "set by pattern " + p.Key + " through " + p.Via
			case p.Via != "":
				pev.Note = "set through " + p.Via
			case p.Glob:
				pev.Note = "set by pattern " + p.Key
			case p.Key != sysctl.NormalizeKey(key):
				pev.Note = "set under its other name " + p.Key
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
			running = append(running, keyValue{key, rv, rev})
			if !c.ok(rv) && c.a.Combine == "" {
				failed = true
			}
			switch {
			case persisted:
				boot = append(boot, keyValue{key, p.Value, pev})
				if !c.ok(p.Value) && c.a.Combine == "" {
					failed = true
					pev.Note = join(pev.Note, "this wrong value applies again at the next boot")
				}
				ev = append(ev, rev, pev)
			case c.a.RequirePersisted:
				failed = true
				rev.Expected = exp + ", persisted in sysctl.d"
				rev.Observed = key + " is not persisted in any sysctl.d file; the running value " + rv + " is lost at reboot"
				ev = append(ev, rev)
			default:
				boot = append(boot, keyValue{key, rv, rev})
				rev.Note = "not persisted in any sysctl.d file"
				ev = append(ev, rev)
			}
			continue
		}
		checked++
		switch {
		case persisted:
			boot = append(boot, keyValue{key, p.Value, pev})
			if !c.ok(p.Value) && c.a.Combine == "" {
				failed = true
			}
			ev = append(ev, pev)
		default:
			d, known := sysctl.Default(key, families)
			if !known {
				unknown = append(unknown, key)
				ev = append(ev, result.Evidence{Expected: exp, Observed: key + " is not set in any sysctl.d file and its default on this distribution is unknown"})
				continue
			}
			e := result.Evidence{Expected: exp, Observed: key + " = " + d + " (kernel default; no sysctl.d file sets it)"}
			boot = append(boot, keyValue{key, d, e})
			switch {
			case c.a.RequirePersisted:
				failed = true
				e.Expected = exp + ", persisted in sysctl.d"
				e.Observed = key + " is not persisted in any sysctl.d file (the kernel default " + d + " applies)"
			case !c.ok(d) && c.a.Combine == "":
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
	if c.a.Combine == "max" && len(unknown) == 0 {
		for _, set := range []struct {
			name string
			kv   []keyValue
		}{{"at boot", boot}, {"running", running}} {
			if len(set.kv) == 0 {
				continue
			}
			e, ok := c.combineMax(set.kv, set.name)
			failed = failed || !ok
			ev = append(ev, e)
		}
		if all, found := allValue(running); t.Live() && found {
			iev, ok := c.interfacesMax(t, all)
			failed = failed || !ok
			ev = append(ev, iev...)
		}
	}
	if failed {
		return check.Fail(ev...)
	}
	if len(unknown) > 0 {
		o := check.Errorf("unknown: %s not set in any sysctl.d file and no default is known for this distribution", strings.Join(unknown, ", "))
		o.Evidence = ev
		return o
	}
	return check.Pass(ev...)
}

// combineMax judges the largest of the keys' values, as the kernel does
// for rp_filter: an interface filters with max(conf.all, conf.IFACE), and
// a new interface starts from conf.default (net/ipv4/fib_frontend.c,
// IN_DEV_RPFILTER).
func (c *sysctlCheck) combineMax(kv []keyValue, when string) (result.Evidence, bool) {
	best, names := kv[0].value, make([]string, 0, len(kv))
	for _, x := range kv {
		if sysctlInt(x.value) > sysctlInt(best) {
			best = x.value
		}
		names = append(names, x.ev.Observed)
	}
	ok := c.ok(best)
	e := result.Evidence{Expected: c.expected("max(" + strings.Join(c.keys, ", ") + ")"), Observed: "effective value " + best + " " + when + " (max of " + strings.Join(names, ", ") + ")"}
	if !ok {
		e.Observed = "no key enables it " + when + ": effective value " + best + " (max of " + strings.Join(names, ", ") + ")"
	}
	return e, ok
}

// allValue returns the running conf.all value among kv, looked up by key:
// the keys' order in the rule is not an API.
func allValue(kv []keyValue) (keyValue, bool) {
	for _, x := range kv {
		if strings.Contains(x.key, ".all.") {
			return x, true
		}
	}
	return keyValue{}, false
}

// interfacesMax checks every interface of a live host: its own value
// combined with conf.all's.
func (c *sysctlCheck) interfacesMax(t target.Target, all keyValue) ([]result.Evidence, bool) {
	pre, leaf, found := strings.Cut(all.key, ".all.")
	if !found {
		return nil, true
	}
	dir := path.Dir(sysctl.ProcPath(pre + ".all." + leaf))
	ents, err := t.ReadDir(path.Dir(dir))
	if err != nil {
		return nil, true
	}
	var ev []result.Evidence
	ok := true
	for _, e := range ents {
		if e.Name == "all" || e.Name == "default" {
			continue
		}
		p := path.Join(path.Dir(dir), e.Name, leaf)
		b, err := target.ReadFile(t, p)
		if err != nil {
			continue
		}
		v := sysctl.NormalizeValue(string(b))
		eff := v
		if sysctlInt(all.value) > sysctlInt(v) {
			eff = all.value
		}
		if !c.ok(eff) {
			ok = false
			ev = append(ev, result.Evidence{Expected: c.expected(e.Name + " effective"), Observed: fmt.Sprintf("interface %s filters with %s (max of its %s and conf.all's %s)", e.Name, eff, v, all.value), File: target.Abs(p)})
		}
	}
	return ev, ok
}

func sysctlInt(v string) int64 {
	first, _, _ := strings.Cut(v, " ")
	n, err := strconv.ParseInt(first, 0, 64)
	if err != nil {
		return -1 << 62
	}
	return n
}
