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
	"github.com/cradle-cra/cradle/internal/collect/kcmdline"
	"github.com/cradle-cra/cradle/internal/collect/kconfig"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
)

// noBootConfig is why a kernel command-line rule has nothing to look at.
const noBootConfig = "the target has no kernel command line to check: no /etc/default/grub, grub.cfg, boot loader entries or /etc/kernel/cmdline (a container image or a tree without a boot loader)"

// archOf is the architecture of the target's kernel from its build
// configuration, "" when unknown.
func archOf(f *facts.Store) string {
	kc, err := kconfig.Get(f)
	if err != nil {
		return ""
	}
	return kc.Arch
}

// archApplies reports whether a rule limited to arches applies to arch
// ("x86" covers x86_64; an unknown arch applies).
func archApplies(arches []string, arch string) bool {
	if len(arches) == 0 || arch == "" {
		return true
	}
	for _, a := range arches {
		if a == arch || a == "x86" && arch == "x86_64" {
			return true
		}
	}
	return false
}

// kernelCmdlineTemplate checks a parameter of every kernel command line
// the target boots with (package kcmdline: /etc/default/grub(.d), the
// generated grub.cfg, BLS entries, /etc/kernel/cmdline, /proc/cmdline on a
// live host). The occurrence in effect is the last one:
//
//	kernel_cmdline: {param: audit, values: ["1"]}
//	kernel_cmdline: {param: audit_backlog_limit, min: 8192}
//	kernel_cmdline: {param: slub_debug, flags: P}
//	kernel_cmdline: {forbid: [init, rd.break, "mitigations=off"]}
//	kernel_cmdline: {param: vsyscall, values: [none], arches: [x86_64]}
type kernelCmdlineTemplate struct{}

type kernelCmdlineArgs struct {
	Param  string   `yaml:"param"`
	Values []string `yaml:"values"`
	Min    *int64   `yaml:"min"`
	Flags  string   `yaml:"flags"`
	// Forbid lists parameters that must not be in effect: "key" (any
	// value) or "key=value".
	Forbid []string `yaml:"forbid"`
	Arches []string `yaml:"arches"`
}

type kernelCmdlineCheck struct{ a kernelCmdlineArgs }

func (kernelCmdlineTemplate) Name() string { return "kernel_cmdline" }

func (kernelCmdlineTemplate) New(n *yaml.Node) (check.Check, error) {
	var a kernelCmdlineArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	tests := 0
	for _, set := range []bool{a.Values != nil, a.Min != nil, a.Flags != ""} {
		if set {
			tests++
		}
	}
	switch {
	case a.Param == "" && len(a.Forbid) == 0:
		return nil, check.ArgErrorf(n, "set param (with values, min or flags) or forbid")
	case a.Param != "" && tests != 1:
		return nil, check.ArgErrorf(n, "param %s needs exactly one of values, min and flags", a.Param)
	case a.Param == "" && tests > 0:
		return nil, check.ArgErrorf(n, "values, min and flags go with param")
	case strings.ContainsAny(a.Param, "= \t"):
		return nil, check.ArgErrorf(n, "param %q is a parameter name, without a value", a.Param)
	}
	for _, f := range a.Forbid {
		if f == "" || strings.ContainsAny(f, " \t") {
			return nil, check.ArgErrorf(n, "forbid: %q is not a kernel parameter", f)
		}
	}
	return &kernelCmdlineCheck{a}, nil
}

func (c *kernelCmdlineCheck) expected() string {
	a := c.a
	var exp []string
	switch {
	case a.Values != nil:
		exp = append(exp, a.Param+"="+strings.Join(a.Values, " or "+a.Param+"="))
	case a.Min != nil:
		exp = append(exp, fmt.Sprintf("%s=N with N >= %d", a.Param, *a.Min))
	case a.Flags != "":
		exp = append(exp, fmt.Sprintf("%s with the flags %s", a.Param, a.Flags))
	}
	if len(a.Forbid) > 0 {
		exp = append(exp, "none of "+strings.Join(a.Forbid, ", "))
	}
	return strings.Join(exp, "; ")
}

// judge returns the problem with one command line, or "" when it passes,
// and what was observed.
func (c *kernelCmdlineCheck) judge(ps []kcmdline.Param) (problem, observed string) {
	var obs, bad []string
	for _, f := range c.a.Forbid {
		key, val, hasVal := strings.Cut(f, "=")
		p, ok := kcmdline.Last(ps, key)
		switch {
		case !ok:
		case hasVal && p.Value == val:
			bad = append(bad, p.String())
		case !hasVal && !harmlessParam(p):
			bad = append(bad, p.String())
		}
	}
	if len(bad) > 0 {
		obs = append(obs, strings.Join(bad, " "))
	}
	if c.a.Param != "" {
		p, ok := kcmdline.Last(ps, c.a.Param)
		if !ok {
			obs = append(obs, c.a.Param+" not set")
			bad = append(bad, c.a.Param+" not set")
		} else {
			obs = append(obs, p.String())
			if !c.valueOK(p) {
				bad = append(bad, p.String())
			}
		}
	}
	if len(obs) == 0 {
		obs = append(obs, "none of them set")
	}
	return strings.Join(bad, ", "), strings.Join(obs, ", ")
}

// normalInit lists the init paths a system boots without init=; naming
// one explicitly changes nothing.
var normalInit = map[string][]string{
	"init":   {"/sbin/init", "/usr/sbin/init", "/lib/systemd/systemd", "/usr/lib/systemd/systemd"},
	"rdinit": {"/init"}, // the initramfs default
}

// harmlessParam reports whether a parameter forbidden by its key alone
// is set so it does nothing: explicitly off (systemd.debug_shell=0, as
// systemd's parse_boolean reads it) or init= naming the normal init.
func harmlessParam(p kcmdline.Param) bool {
	if !p.HasValue {
		return false
	}
	if paths, ok := normalInit[p.Key]; ok {
		return slices.Contains(paths, path.Clean(p.Value))
	}
	switch strings.ToLower(p.Value) {
	case "0", "no", "n", "false", "f", "off":
		return true
	}
	return false
}

func (c *kernelCmdlineCheck) valueOK(p kcmdline.Param) bool {
	switch {
	case c.a.Values != nil:
		return p.HasValue && slices.Contains(c.a.Values, p.Value)
	case c.a.Min != nil:
		n, err := strconv.ParseInt(p.Value, 0, 64)
		return err == nil && n >= *c.a.Min
	default:
		// slub_debug alone turns every debug flag on; "-" turns them off.
		if !p.HasValue {
			return true
		}
		flags, _, _ := strings.Cut(p.Value, ",")
		flags, _, _ = strings.Cut(flags, ";")
		if flags == "" {
			return true
		}
		for _, f := range c.a.Flags {
			if !strings.ContainsRune(strings.ToUpper(flags), f) {
				return false
			}
		}
		return true
	}
}

func (c *kernelCmdlineCheck) Evaluate(_ context.Context, f *facts.Store) check.Outcome {
	if arch := archOf(f); !archApplies(c.a.Arches, arch) {
		return check.NotApplicable("the kernel is built for %s; the parameter applies to %s only", arch, strings.Join(c.a.Arches, ", "))
	}
	kc, err := kcmdline.Get(f)
	if err != nil {
		return check.FromErr("kernel command line", err)
	}
	if len(kc.Sources) == 0 {
		return check.NotApplicable(noBootConfig)
	}
	exp := c.expected()
	var ev []result.Evidence
	failed := false
	for _, s := range kc.Sources {
		problem, obs := c.judge(s.Params)
		if problem != "" {
			failed = true
		}
		ev = append(ev, result.Evidence{Expected: exp, Observed: obs, File: s.File, Line: s.Line, Note: s.Describe()})
	}
	if len(kc.Notes) > 0 {
		ev = append(ev, result.Evidence{Note: strings.Join(kc.Notes, "; ")})
	}
	if failed {
		return check.Fail(ev...)
	}
	return check.Pass(ev...)
}

// kernelConfigTemplate checks a build option of the target's kernel
// (package kconfig: the running kernel's configuration on a live host,
// the newest installed kernel's otherwise):
//
//	kernel_config: {option: CONFIG_STRICT_KERNEL_RWX, values: [y]}
//	kernel_config: {option: CONFIG_DEVMEM, values: [n]}          # "n": not set
//	kernel_config: {option: CONFIG_MODULE_SIG_FORCE, values: [y],
//	                or_options: [CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y],
//	                or_cmdline: [module.sig_enforce=1]}
//	kernel_config: {option: CONFIG_PAGE_TABLE_ISOLATION, values: [y], arches: [x86]}
//
// or_options and or_cmdline name equivalents: another option, or a
// parameter on every kernel command line the target boots with.
type kernelConfigTemplate struct{}

type kernelConfigArgs struct {
	Option    string   `yaml:"option"`
	Values    []string `yaml:"values"`
	OrOptions []string `yaml:"or_options"`
	OrCmdline []string `yaml:"or_cmdline"`
	Arches    []string `yaml:"arches"`
}

type kernelConfigCheck struct{ a kernelConfigArgs }

func (kernelConfigTemplate) Name() string { return "kernel_config" }

func (kernelConfigTemplate) New(n *yaml.Node) (check.Check, error) {
	var a kernelConfigArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(a.Option, "CONFIG_") || len(a.Values) == 0 {
		return nil, check.ArgErrorf(n, "option (CONFIG_…) and values are required")
	}
	for _, o := range a.OrOptions {
		if k, _, ok := strings.Cut(o, "="); !ok || !strings.HasPrefix(k, "CONFIG_") {
			return nil, check.ArgErrorf(n, "or_options: %q is not CONFIG_NAME=value", o)
		}
	}
	for _, p := range a.OrCmdline {
		if _, _, ok := strings.Cut(p, "="); !ok || strings.ContainsAny(p, " \t") {
			return nil, check.ArgErrorf(n, "or_cmdline: %q is not key=value", p)
		}
	}
	return &kernelConfigCheck{a}, nil
}

func (c *kernelConfigCheck) Evaluate(_ context.Context, f *facts.Store) check.Outcome {
	kc, err := kconfig.Get(f)
	if err != nil {
		return check.FromErr("kernel build configuration", err)
	}
	switch {
	case !kc.HasKernel():
		return check.NotApplicable("the target has no kernel (no /boot/config-*, /boot/vmlinuz-* or module directory): a container image or a tree without a kernel package")
	case kc.File == "":
		return check.NotApplicable("kernel %s has no build configuration (/boot/config-%s) to check", kc.Version, kc.Version)
	case !archApplies(c.a.Arches, kc.Arch):
		return check.NotApplicable("the kernel is built for %s; %s applies to %s only", kc.Arch, c.a.Option, strings.Join(c.a.Arches, ", "))
	}
	which := "newest installed kernel " + kc.Version
	if kc.Running {
		which = "running kernel " + kc.Version
	}
	exp := c.a.Option + "=" + strings.Join(c.a.Values, " or ")
	v := kc.Value(c.a.Option)
	obs := c.a.Option + "=" + v
	if v == "n" {
		obs = c.a.Option + " is not set"
	}
	ev := result.Evidence{Expected: exp, Observed: obs, File: kc.File, Line: kc.Lines[c.a.Option], Note: which}
	if slices.Contains(c.a.Values, v) {
		return check.Pass(ev)
	}
	for _, o := range c.a.OrOptions {
		k, want, _ := strings.Cut(o, "=")
		if kc.Value(k) == want {
			ev.Observed += "; " + o + " instead"
			ev.Line = kc.Lines[k]
			return check.Pass(ev)
		}
	}
	if len(c.a.OrCmdline) > 0 {
		if eq, ok := c.cmdlineEquivalent(f); ok {
			ev.Observed += "; " + eq + " on every kernel command line instead"
			return check.Pass(ev)
		}
		ev.Expected += " (or " + strings.Join(append(slices.Clone(c.a.OrOptions), c.a.OrCmdline...), ", ") + ")"
	}
	return check.Fail(ev)
}

// cmdlineEquivalent reports the or_cmdline parameter every command line
// has in effect.
func (c *kernelConfigCheck) cmdlineEquivalent(f *facts.Store) (string, bool) {
	kc, err := kcmdline.Get(f)
	if err != nil || len(kc.Sources) == 0 {
		return "", false
	}
	for _, want := range c.a.OrCmdline {
		key, val, _ := strings.Cut(want, "=")
		all := true
		for _, s := range kc.Sources {
			if p, ok := kcmdline.Last(s.Params, key); !ok || p.Value != val {
				all = false
				break
			}
		}
		if all {
			return want, true
		}
	}
	return "", false
}
