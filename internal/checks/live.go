package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/kmodloaded"
	"github.com/cradle-cra/cradle/internal/collect/netsock"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
)

// The live-only templates read the running kernel's state; they are
// not_applicable on offline root filesystems and images.

const notLiveReason = "needs the runtime state of a running system; the target is not live"

// portSpec is "23" (TCP and UDP), "tcp/23", "udp/69" or a range
// "tcp/6000-6063".
type portSpec struct {
	proto    string // "" for both
	lo, hi   uint16
	original string
}

func parsePortSpec(s string) (portSpec, error) {
	ps := portSpec{original: s}
	rest := s
	if p, r, ok := strings.Cut(s, "/"); ok {
		if p != "tcp" && p != "udp" {
			return ps, fmt.Errorf("%q: protocol must be tcp or udp", s)
		}
		ps.proto, rest = p, r
	}
	lo, hi, isRange := strings.Cut(rest, "-")
	l, err := strconv.ParseUint(lo, 10, 16)
	if err != nil || l == 0 {
		return ps, fmt.Errorf("%q: not a port (1-65535)", s)
	}
	h := l
	if isRange {
		if h, err = strconv.ParseUint(hi, 10, 16); err != nil || h < l {
			return ps, fmt.Errorf("%q: not a port range", s)
		}
	}
	ps.lo, ps.hi = uint16(l), uint16(h)
	return ps, nil
}

func (p portSpec) match(s netsock.Socket) bool {
	return (p.proto == "" || p.proto == s.Proto) && s.Port >= p.lo && s.Port <= p.hi
}

// listeningSocketsTemplate judges the sockets a live system listens on
// for other hosts (loopback listeners are ignored unless
// include_loopback): none may use a forbidden port, or every one must use
// an allowed port.
//
//	listening_sockets: {forbidden: [tcp/23, tcp/21, udp/69]}
//	listening_sockets: {allowed: [tcp/22, tcp/443]}
type listeningSocketsTemplate struct{}

type listeningSocketsArgs struct {
	Forbidden       []string `yaml:"forbidden"`
	Allowed         []string `yaml:"allowed"`
	IncludeLoopback bool     `yaml:"include_loopback"`
}

type listeningSocketsCheck struct {
	a                  listeningSocketsArgs
	forbidden, allowed []portSpec
}

func (listeningSocketsTemplate) Name() string { return "listening_sockets" }

func (listeningSocketsTemplate) New(n *yaml.Node) (check.Check, error) {
	var a listeningSocketsArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if (a.Forbidden == nil) == (a.Allowed == nil) {
		return nil, check.ArgErrorf(n, "set exactly one of forbidden and allowed")
	}
	c := &listeningSocketsCheck{a: a}
	for _, s := range a.Forbidden {
		p, err := parsePortSpec(s)
		if err != nil {
			return nil, check.ArgErrorf(n, "forbidden: %v", err)
		}
		c.forbidden = append(c.forbidden, p)
	}
	for _, s := range a.Allowed {
		p, err := parsePortSpec(s)
		if err != nil {
			return nil, check.ArgErrorf(n, "allowed: %v", err)
		}
		c.allowed = append(c.allowed, p)
	}
	return c, nil
}

// Fixable: stopping the service is a service-state change, not a socket
// one; the rules carry that as fix metadata.
func (c *listeningSocketsCheck) Fixable() bool { return false }

func (c *listeningSocketsCheck) expected() string {
	if c.forbidden != nil {
		return "no listener on " + strings.Join(c.a.Forbidden, ", ")
	}
	return "listeners only on " + strings.Join(c.a.Allowed, ", ")
}

func (c *listeningSocketsCheck) Evaluate(_ context.Context, f *facts.Store) check.Outcome {
	if !f.Target().Live() {
		return check.NotApplicable("listening sockets: %s", notLiveReason)
	}
	socks, err := netsock.Get(f)
	if err != nil {
		return check.FromErr("socket tables", err)
	}
	exp := c.expected()
	var bad, seen []result.Evidence
	for _, s := range socks.Listening {
		if s.Loopback() && !c.a.IncludeLoopback {
			continue
		}
		ev := result.Evidence{Expected: exp, Observed: fmt.Sprintf("listening on %s (uid %d)", s.Endpoint(), s.UID), File: s.File, Line: s.Line}
		violates := false
		if c.forbidden != nil {
			violates = slices.ContainsFunc(c.forbidden, func(p portSpec) bool { return p.match(s) })
		} else {
			violates = !slices.ContainsFunc(c.allowed, func(p portSpec) bool { return p.match(s) })
		}
		if violates {
			bad = append(bad, ev)
		} else {
			seen = append(seen, ev)
		}
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	scope := "non-loopback listeners"
	if c.a.IncludeLoopback {
		scope = "listeners"
	}
	summary := result.Evidence{Expected: exp, Observed: fmt.Sprintf("%d %s, none on a forbidden port", len(seen), scope), Note: "read " + strings.Join(socks.Files, ", ")}
	if c.allowed != nil {
		summary.Observed = fmt.Sprintf("%d %s, all on allowed ports", len(seen), scope)
	}
	return check.Pass(append([]result.Evidence{summary}, seen...)...)
}

// kernelModuleLoadedTemplate checks the modules loaded in the running
// kernel: none of modules may be loaded, and no loaded module may carry a
// taint flag listed in taint (E unsigned, F force-loaded, C staging,
// O out-of-tree, P proprietary):
//
//	kernel_module_loaded: {modules: [lkdtm, pktgen]}
//	kernel_module_loaded: {taint: "E"}
type kernelModuleLoadedTemplate struct{}

type kernelModuleLoadedArgs struct {
	Modules []string `yaml:"modules"`
	Taint   string   `yaml:"taint"`
}

type kernelModuleLoadedCheck struct{ a kernelModuleLoadedArgs }

func (kernelModuleLoadedTemplate) Name() string { return "kernel_module_loaded" }

func (kernelModuleLoadedTemplate) New(n *yaml.Node) (check.Check, error) {
	var a kernelModuleLoadedArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if len(a.Modules) == 0 && a.Taint == "" {
		return nil, check.ArgErrorf(n, "set modules, taint or both")
	}
	for _, r := range a.Taint {
		if r < 'A' || r > 'Z' {
			return nil, check.ArgErrorf(n, "taint: %q is not a list of kernel taint letters (like \"EF\")", a.Taint)
		}
	}
	for i, m := range a.Modules {
		if m == "" || strings.ContainsAny(m, " /\t") {
			return nil, check.ArgErrorf(n, "modules: %q is not a module name", m)
		}
		a.Modules[i] = kmodloaded.Normalize(m)
	}
	return &kernelModuleLoadedCheck{a}, nil
}

// Fixable: unloading is possible (modprobe -r) but only sticks with a
// modprobe.d policy, which kernel_module_disabled rules remediate.
func (c *kernelModuleLoadedCheck) Fixable() bool { return false }

func (c *kernelModuleLoadedCheck) Evaluate(_ context.Context, f *facts.Store) check.Outcome {
	if !f.Target().Live() {
		return check.NotApplicable("loaded kernel modules: %s", notLiveReason)
	}
	l, err := kmodloaded.Get(f)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return check.NotApplicable("no /proc/modules: the running kernel has no loadable module support")
		}
		return check.FromErr("loaded kernel modules", err)
	}
	var exp []string
	if len(c.a.Modules) > 0 {
		exp = append(exp, "not loaded: "+strings.Join(c.a.Modules, ", "))
	}
	if c.a.Taint != "" {
		exp = append(exp, "no loaded module with taint flags "+c.a.Taint)
	}
	expected := strings.Join(exp, "; ")
	var bad []result.Evidence
	for _, m := range l.Modules {
		switch {
		case slices.Contains(c.a.Modules, m.Name):
			bad = append(bad, result.Evidence{Expected: expected, Observed: fmt.Sprintf("%s loaded (%s)", m.Name, m.State), File: l.File, Line: m.Line})
		case c.a.Taint != "" && m.Tainted(c.a.Taint):
			bad = append(bad, result.Evidence{Expected: expected, Observed: fmt.Sprintf("%s loaded with taint flags (%s)", m.Name, m.Taint), File: l.File, Line: m.Line})
		}
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	return check.Pass(result.Evidence{Expected: expected, Observed: fmt.Sprintf("%d modules loaded, none of them matching", len(l.Modules)), File: l.File})
}
