package checks

import (
	"context"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/modprobe"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// kernelModuleDisabledTemplate requires modprobe.d to keep a kernel
// module from loading:
//
//	kernel_module_disabled: {module: cramfs}
//	kernel_module_disabled: {module: usb-storage, require: either}
//
// require is install_false (default: an "install MOD /bin/false" or
// /bin/true command, which also stops explicit modprobe and module
// auto-loading), blacklist (only stops loading by alias, e.g. on device
// detection), either, or both. A module compiled into an installed kernel,
// or loaded right now on a live target, fails.
type kernelModuleDisabledTemplate struct{}

type kernelModuleDisabledArgs struct {
	Module  string `yaml:"module"`
	Require string `yaml:"require"`
}

type kernelModuleDisabledCheck struct{ a kernelModuleDisabledArgs }

func (kernelModuleDisabledTemplate) Name() string { return "kernel_module_disabled" }

func (kernelModuleDisabledTemplate) New(n *yaml.Node) (check.Check, error) {
	var a kernelModuleDisabledArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if a.Module == "" {
		return nil, check.ArgErrorf(n, "module is required")
	}
	switch a.Require {
	case "":
		a.Require = "install_false"
	case "install_false", "blacklist", "either", "both":
	default:
		return nil, check.ArgErrorf(n, "require must be install_false, blacklist, either or both")
	}
	return &kernelModuleDisabledCheck{a}, nil
}

func (c *kernelModuleDisabledCheck) Fixable() bool { return true }

func (c *kernelModuleDisabledCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	if f.Target().Kind() == target.KindImage {
		return check.NotApplicable("container images do not load kernel modules; the host's policy applies")
	}
	cfg, err := modprobe.Get(f)
	if err != nil {
		return check.FromErr("reading modprobe configuration", err)
	}
	m := c.a.Module
	var exp string
	switch c.a.Require {
	case "install_false":
		exp = "install " + m + " /bin/false (or /bin/true)"
	case "blacklist":
		exp = "blacklist " + m
	case "either":
		exp = "install " + m + " /bin/false or blacklist " + m
	case "both":
		exp = "install " + m + " /bin/false and blacklist " + m
	}
	var ev []result.Evidence
	inst, hasInst := cfg.Install(m)
	installOK := hasInst && modprobe.Disables(inst)
	if hasInst {
		e := result.Evidence{Expected: exp, Observed: "install " + inst.Module + " " + inst.Rest(), File: inst.File, Line: inst.Line}
		if !installOK {
			e.Note = "the install command does not stop the module from loading"
		}
		ev = append(ev, e)
	} else {
		ev = append(ev, result.Evidence{Expected: exp, Observed: "no install command for " + m})
	}
	bl, hasBL := cfg.Blacklist(m)
	if hasBL {
		e := result.Evidence{Expected: exp, Observed: "blacklist " + bl.Module, File: bl.File, Line: bl.Line}
		if !installOK {
			e.Note = "blacklist only stops loading by alias; an explicit modprobe still loads it"
		}
		ev = append(ev, e)
	} else {
		ev = append(ev, result.Evidence{Expected: exp, Observed: "no blacklist entry for " + m})
	}
	var ok bool
	switch c.a.Require {
	case "install_false":
		ok = installOK
	case "blacklist":
		ok = hasBL
	case "either":
		ok = installOK || hasBL
	case "both":
		ok = installOK && hasBL
	}
	if file, builtin := cfg.Builtin[modprobe.Normalize(m)]; builtin {
		ok = false
		ev = append(ev, result.Evidence{Expected: m + " as a loadable module", Observed: m + " is built into the kernel", File: file,
			Note: "modprobe.d cannot disable a built-in module"})
	}
	if cfg.Loaded != nil && cfg.Loaded[modprobe.Normalize(m)] {
		ok = false
		ev = append(ev, result.Evidence{Expected: m + " not loaded", Observed: m + " is loaded", File: "/proc/modules"})
	}
	if ok {
		return check.Pass(ev...)
	}
	return check.Fail(ev...)
}
