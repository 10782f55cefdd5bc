package probes

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/systemd"
	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// Both systemd probes work from unit files and enablement links (the
// systemd search path, .wants/.requires directories, drop-ins), as the
// manager would load them at boot, so the answer is the same live and
// offline and needs no D-Bus.

func (s *state) units(ctx context.Context, env *oval.Env) (*systemd.Config, error) {
	return memoGet(s, env.Target, "systemd", func() (*systemd.Config, error) {
		return systemd.Collect(ctx, env.Target)
	})
}

// unitNames lists the units an entity selects.
func unitNames(cfg *systemd.Config, ue *oval.ObjectEntity) ([]string, error) {
	cands, ok := literalValues(ue)
	if !ok {
		cands = cfg.Names()
	}
	var out []string
	for _, n := range cands {
		ok, err := ue.Match(n)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, n)
		}
	}
	return out, nil
}

// unitDependency is systemdunitdependency_object: every unit the unit
// pulls in, directly or through the units it pulls in (Requires=, Wants=,
// Requisite=, BindsTo=, Upholds= and the .wants/.requires/.upholds links).
func (s *state) unitDependency(ctx context.Context, obj *oval.Object, env *oval.Env) (oval.Collected, error) {
	cfg, err := s.units(ctx, env)
	if err != nil {
		return oval.Collected{}, fmt.Errorf("systemd units: %w", err)
	}
	if cfg.Init != systemd.Systemd {
		return collected(nil, "the target does not boot with systemd"), nil
	}
	names, err := unitNames(cfg, obj.Entity("unit"))
	if err != nil {
		return oval.Collected{}, err
	}
	var items []oval.Item
	for _, n := range names {
		st, err := cfg.State(n)
		if err != nil {
			return oval.Collected{}, err
		}
		if st.File == "" || st.State == systemd.Masked {
			continue // not loaded: no dependencies
		}
		deps, err := s.closure(ctx, env, cfg, n)
		if err != nil {
			return oval.Collected{}, err
		}
		f := map[string][]oval.Value{"unit": str(n)}
		for _, d := range deps {
			f["dependency"] = append(f["dependency"], oval.Str(d))
		}
		items = append(items, oval.Item{Fields: f})
	}
	return collected(items, "computed from unit files and enablement links (as loaded at boot), not from a running manager"), nil
}

// maxUnits bounds a dependency closure.
const maxUnits = 10_000

// closure returns the units name pulls in, transitively, sorted.
func (s *state) closure(ctx context.Context, env *oval.Env, cfg *systemd.Config, name string) ([]string, error) {
	seen := map[string]bool{name: true}
	queue := []string{name}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		u := queue[0]
		queue = queue[1:]
		direct, err := s.directDeps(ctx, env, cfg, u)
		if err != nil {
			return nil, err
		}
		for _, d := range direct {
			if !seen[d] {
				if len(seen) >= maxUnits {
					return nil, fmt.Errorf("dependencies of %s: more than %d units", name, maxUnits)
				}
				seen[d] = true
				queue = append(queue, d)
			}
		}
	}
	delete(seen, name)
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	return out, nil
}

// pullDirectives are the [Unit] settings that make a unit start others.
var pullDirectives = map[string]bool{"Requires": true, "Wants": true, "Requisite": true, "BindsTo": true, "Upholds": true}

func (s *state) directDeps(ctx context.Context, env *oval.Env, cfg *systemd.Config, unit string) ([]string, error) {
	return memoGet(s, env.Target, "deps:"+unit, func() ([]string, error) {
		st, err := cfg.State(unit)
		if err != nil {
			return nil, err
		}
		if st.File == "" || st.State == systemd.Masked {
			return nil, nil
		}
		var out []string
		for _, l := range cfg.Links {
			if l.By == unit || l.By == st.Unit {
				out = append(out, l.Unit)
				if l.Dest != l.Unit && systemd.IsUnitName(l.Dest) {
					out = append(out, l.Dest)
				}
			}
		}
		props, err := unitProperties(s, env.Target, st)
		if err != nil {
			return nil, err
		}
		for k, vs := range props {
			if !pullDirectives[k] {
				continue
			}
			for _, v := range vs {
				for _, d := range strings.Fields(v) {
					if systemd.IsUnitName(d) {
						out = append(out, d)
					}
				}
			}
		}
		return out, nil
	})
}

// unitProperties reads the settings of a unit file and its drop-ins
// (NAME.d/*.conf in every unit directory, applied in name order), keyed
// by "Key" for [Unit]/[Service]/... alike; an empty assignment resets.
func unitProperties(s *state, t target.Target, st systemd.UnitState) (map[string][]string, error) {
	props := map[string][]string{}
	files := []string{st.File}
	dropins := map[string]string{}
	for _, dir := range systemd.SearchPath {
		// Each unit directory is listed once per scan: resolving every
		// absent NAME.d through the target cost more than the rest of
		// the systemd probes.
		names, _ := memoGet(s, t, "dirnames:"+dir, func() (map[string]bool, error) {
			ents, err := t.ReadDir(dir)
			m := make(map[string]bool, len(ents))
			for _, e := range ents {
				m[e.Name] = true
			}
			return m, err
		})
		for _, d := range []string{dir + "/" + st.Unit + ".d", dir + "/" + path.Base(st.File) + ".d"} {
			if !names[path.Base(d)] {
				continue
			}
			ents, err := t.ReadDir(d)
			if err != nil {
				continue
			}
			for _, e := range ents {
				if strings.HasSuffix(e.Name, ".conf") {
					if _, ok := dropins[e.Name]; !ok {
						dropins[e.Name] = d + "/" + e.Name
					}
				}
			}
		}
	}
	names := make([]string, 0, len(dropins))
	for n := range dropins {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		files = append(files, dropins[n])
	}
	for _, f := range files {
		b, err := target.ReadFile(t, f)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("unit file %s: %w", f, err)
		}
		for _, line := range textline.Split(b) {
			line = strings.TrimSpace(line)
			if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if v == "" {
				delete(props, k)
				continue
			}
			props[k] = append(props[k], v)
		}
	}
	return props, nil
}

// unitProperty is systemdunitproperty_object. LoadState and UnitFileState
// come from the unit files as systemctl would load them; ActiveState is
// read from the manager's runtime directory on a live system that has one
// (/run/systemd/units), otherwise predicted: active when the default
// target pulls the unit in at boot, and the evidence says so. Other
// properties are the unit file's own settings.
func (s *state) unitProperty(ctx context.Context, obj *oval.Object, env *oval.Env) (oval.Collected, error) {
	cfg, err := s.units(ctx, env)
	if err != nil {
		return oval.Collected{}, fmt.Errorf("systemd units: %w", err)
	}
	if cfg.Init != systemd.Systemd {
		return collected(nil, "the target does not boot with systemd"), nil
	}
	names, err := unitNames(cfg, obj.Entity("unit"))
	if err != nil {
		return oval.Collected{}, err
	}
	pe := obj.Entity("property")
	var items []oval.Item
	notes := map[string]bool{}
	for _, n := range names {
		st, err := cfg.State(n)
		if err != nil {
			return oval.Collected{}, err
		}
		vals := map[string][]string{}
		switch {
		case st.State == systemd.Masked:
			vals["LoadState"] = []string{"masked"}
		case st.File == "":
			vals["LoadState"] = []string{"not-found"}
		default:
			vals["LoadState"] = []string{"loaded"}
			props, err := unitProperties(s, env.Target, st)
			if err != nil {
				return oval.Collected{}, err
			}
			for k, v := range props {
				vals[k] = v
			}
		}
		if ufs, err := cfg.IsEnabled(n); err == nil {
			vals["UnitFileState"] = []string{ufs}
		}
		active, note, err := s.activeState(ctx, env, cfg, n, st)
		if err != nil {
			return oval.Collected{}, err
		}
		vals["ActiveState"] = []string{active}
		notes[note] = true
		keys := make([]string, 0, len(vals))
		for k := range vals {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ok, err := pe.Match(k)
			if err != nil {
				return oval.Collected{}, err
			}
			if !ok {
				continue
			}
			f := map[string][]oval.Value{"unit": str(n), "property": str(k)}
			for _, v := range vals[k] {
				f["value"] = append(f["value"], oval.Str(v))
			}
			items = append(items, oval.Item{Fields: f})
		}
	}
	var ns []string
	for n := range notes {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return collected(items, ns...), nil
}

func (s *state) activeState(ctx context.Context, env *oval.Env, cfg *systemd.Config, name string, st systemd.UnitState) (string, string, error) {
	t := env.Target
	if t.Live() {
		if fi, err := t.Stat("run/systemd/units"); err == nil && fi.Mode.IsDir() {
			if _, err := t.Lstat("run/systemd/units/invocation:" + st.Unit); err == nil {
				return "active", "ActiveState from the running manager's /run/systemd/units", nil
			}
			return "inactive", "ActiveState from the running manager's /run/systemd/units", nil
		}
	}
	note := "ActiveState predicted from unit files: active when the default target pulls the unit in at boot"
	if st.File == "" || st.State == systemd.Masked {
		return "inactive", note, nil
	}
	def := cfg.DefaultTarget
	if def == "" {
		def = "graphical.target"
	}
	boot, err := memoGet(s, t, "boot", func() (map[string]bool, error) {
		deps, err := s.closure(ctx, env, cfg, def)
		m := map[string]bool{def: true}
		for _, d := range deps {
			m[d] = true
		}
		return m, err
	})
	if err != nil {
		return "", "", err
	}
	if boot[name] || boot[st.Unit] {
		return "active", note, nil
	}
	return "inactive", note, nil
}
