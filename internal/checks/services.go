package checks

import (
	"context"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/systemd"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
)

// serviceStateTemplate checks the persistent (boot-time) state of units:
//
//	service_state: {units: [rpcbind.service, rpcbind.socket], state: not_enabled}
//	service_state: {units: [chrony.service, systemd-timesyncd.service], state: enabled, any: true}
//
// state is enabled, disabled (installed but not started at boot: disabled,
// static or masked), masked, or not_enabled (anything but enabled,
// including absent). absent_ok makes an absent unit acceptable: it is
// skipped for enabled, disabled and masked; when every unit is skipped the
// result is not_applicable. Unit names may be globs. package optionally
// names the package that ships the units.
type serviceStateTemplate struct{}

type serviceStateArgs struct {
	Units    []string `yaml:"units"`
	State    string   `yaml:"state"`
	AbsentOK bool     `yaml:"absent_ok"`
	Any      bool     `yaml:"any"`
	// Package names the package that ships the units, for the advice a
	// fix gives when they are not installed.
	Package string `yaml:"package"`
}

type serviceStateCheck struct{ a serviceStateArgs }

func (serviceStateTemplate) Name() string { return "service_state" }

func (serviceStateTemplate) New(n *yaml.Node) (check.Check, error) {
	var a serviceStateArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if len(a.Units) == 0 {
		return nil, check.ArgErrorf(n, "units: at least one unit is required")
	}
	for _, u := range a.Units {
		if _, err := path.Match(u, ""); err != nil || u == "" || strings.Contains(u, "/") {
			return nil, check.ArgErrorf(n, "units: %q is not a unit name or glob", u)
		}
	}
	switch a.State {
	case "enabled", "disabled", "masked", "not_enabled":
	default:
		return nil, check.ArgErrorf(n, "state must be enabled, disabled, masked or not_enabled, not %q", a.State)
	}
	if a.Any && a.State != "enabled" {
		return nil, check.ArgErrorf(n, "any applies only to state: enabled")
	}
	return &serviceStateCheck{a}, nil
}

func (c *serviceStateCheck) Fixable() bool { return true }

func (c *serviceStateCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	cfg, err := systemd.Get(f)
	if err != nil {
		return check.FromErr("read service configuration", err)
	}
	if cfg.Init == "" {
		return check.NotApplicable("no init system configuration found (systemd, OpenRC or SysV)")
	}
	exp := map[string]string{
		"enabled":     "enabled",
		"disabled":    "disabled, static or masked",
		"masked":      "masked",
		"not_enabled": "not enabled (disabled, static, masked or absent)",
	}[c.a.State]
	names := c.unitNames(cfg)
	var ev, okEv []result.Evidence
	good, bad, counted := 0, 0, 0
	for _, n := range names {
		us, err := cfg.State(n)
		if err != nil {
			return check.FromErr("unit "+n, err)
		}
		e := result.Evidence{Expected: exp, Observed: n + ": " + us.State, File: us.File}
		if us.Unit != n && us.Unit != "" && us.State != systemd.Absent {
			e.Observed += " (as " + us.Unit + ")"
		}
		if len(us.EnabledBy) > 0 {
			l := us.EnabledBy[0]
			e.File = l.Path
			e.Observed += " (wanted by " + l.By + ")"
			if l.Vendor {
				e.Note = "enabled by the vendor (a link under /usr/lib)"
			}
		}
		if us.State == systemd.Absent && c.a.AbsentOK && c.a.State != "not_enabled" {
			ev = append(ev, e)
			continue
		}
		counted++
		var ok bool
		switch c.a.State {
		case "enabled":
			ok = us.State == systemd.Enabled
		case "disabled":
			ok = us.State == systemd.Disabled || us.State == systemd.Static || us.State == systemd.Masked
		case "masked":
			ok = us.State == systemd.Masked
		case "not_enabled":
			ok = us.State != systemd.Enabled
		}
		if ok {
			good++
			okEv = append(okEv, e)
		} else {
			bad++
			ev = append(ev, e)
		}
	}
	if counted == 0 {
		o := check.NotApplicable("none of the units is installed")
		o.Evidence = append(okEv, ev...)
		return o
	}
	// Lead with the evidence that decided the outcome.
	if (c.a.Any && good > 0) || (!c.a.Any && bad == 0) {
		return check.Pass(append(okEv, ev...)...)
	}
	return check.Fail(append(ev, okEv...)...)
}

// unitNames expands the rule's unit globs against the units the target
// knows; a glob matching nothing stays as is and resolves to absent.
func (c *serviceStateCheck) unitNames(cfg *systemd.Config) []string {
	var names []string
	for _, u := range c.a.Units {
		if !strings.ContainsAny(u, "*?[") {
			names = append(names, u)
			continue
		}
		matched := false
		for _, n := range cfg.Names() {
			// A template ("serial-getty@.service") stands for its
			// instances, which are matched themselves.
			if strings.Contains(n, "@.") {
				continue
			}
			if ok, _ := path.Match(u, n); ok {
				names = append(names, n)
				matched = true
			}
		}
		if !matched {
			names = append(names, u) // resolves to absent
		}
	}
	return names
}

// defaultTargetTemplate checks the unit systemd boots into:
//
//	default_target: {allowed: [multi-user.target]}
type defaultTargetTemplate struct{}

type defaultTargetArgs struct {
	Allowed []string `yaml:"allowed"`
}

type defaultTargetCheck struct{ a defaultTargetArgs }

func (defaultTargetTemplate) Name() string { return "default_target" }

func (defaultTargetTemplate) New(n *yaml.Node) (check.Check, error) {
	var a defaultTargetArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if len(a.Allowed) == 0 {
		return nil, check.ArgErrorf(n, "allowed: at least one target is required")
	}
	for _, t := range a.Allowed {
		if !strings.HasSuffix(t, ".target") {
			return nil, check.ArgErrorf(n, "allowed: %q is not a .target unit", t)
		}
	}
	return &defaultTargetCheck{a}, nil
}

func (c *defaultTargetCheck) Fixable() bool { return true }

func (c *defaultTargetCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	cfg, err := systemd.Get(f)
	if err != nil {
		return check.FromErr("read service configuration", err)
	}
	if cfg.Init != systemd.Systemd {
		return check.NotApplicable("the target does not use systemd")
	}
	exp := orList(c.a.Allowed)
	if cfg.DefaultTarget == "" {
		return check.Fail(result.Evidence{Expected: exp, Observed: "no default.target link", File: "/etc/systemd/system/default.target"})
	}
	ev := result.Evidence{Expected: exp, Observed: cfg.DefaultTarget, File: cfg.DefaultTargetFile}
	for _, a := range c.a.Allowed {
		if a == cfg.DefaultTarget {
			return check.Pass(ev)
		}
	}
	return check.Fail(ev)
}
