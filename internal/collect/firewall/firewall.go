// Package firewall collects a target's host firewall: which managers
// (nftables, iptables, ufw, firewalld) are enabled to load it at boot, the
// persisted rulesets they load, read through the target like every other
// configuration, and, on the running host, the kernel's ruleset as
// `nft list ruleset` prints it. Every ruleset is reduced to one model:
// chains with their hook and policy, rules with the matches and verdict
// the checks judge (default deny, loopback, established traffic, allowed
// ports).
package firewall

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"path"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/collect/systemd"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
)

// Manager names.
const (
	Nftables     = "nftables"
	Iptables     = "iptables"
	UFWName      = "ufw"
	FirewalldApp = "firewalld"
)

// Manager is one firewall manager and whether it loads at boot.
type Manager struct {
	Name string `json:"name"`
	// Units are the service units that load it; Enabled those enabled.
	Units   []string `json:"units"`
	Enabled []string `json:"enabled"`
	// Active: an enabled unit and, for ufw, ENABLED=yes.
	Active bool     `json:"active"`
	Files  []string `json:"files"`
	// Note says why an enabled unit does not load a firewall (ufw's
	// ENABLED=no).
	Note string `json:"note,omitempty"`
	// Errors are what stops the configuration from loading: the
	// manager would refuse it, so none of it is in Persisted.
	Errors []string `json:"errors,omitempty"`
}

// Firewall is the firewall fact of a target.
type Firewall struct {
	Managers []Manager `json:"managers"`
	// Persisted is what the active managers load at boot.
	Persisted *Ruleset `json:"persisted"`
	// Running is the kernel's ruleset on the running host; nil elsewhere
	// or when it could not be read (RunningNote says why).
	Running       *Ruleset   `json:"running,omitempty"`
	RunningSource string     `json:"running_source,omitempty"`
	RunningNote   string     `json:"running_note,omitempty"`
	UFW           *UFW       `json:"ufw,omitempty"`
	Firewalld     *Firewalld `json:"firewalld,omitempty"`
}

// Active returns the active managers.
func (f *Firewall) Active() []Manager {
	var out []Manager
	for _, m := range f.Managers {
		if m.Active {
			out = append(out, m)
		}
	}
	return out
}

// Manager returns the named manager.
func (f *Firewall) Manager(name string) *Manager {
	for i := range f.Managers {
		if f.Managers[i].Name == name {
			return &f.Managers[i]
		}
	}
	return nil
}

// Effective is the ruleset the checks judge: the running one when known,
// else what the active managers load at boot; source says which.
func (f *Firewall) Effective() (rs *Ruleset, source string) {
	if f.Running != nil {
		return f.Running, "running ruleset (" + f.RunningSource + ")"
	}
	return f.Persisted, "persisted configuration"
}

// Key is the fact-store key.
const Key = "firewall"

// Get returns the memoised firewall fact; it builds on the systemd fact
// for the units.
func Get(s *facts.Store) (*Firewall, error) {
	return facts.Get(s, Key, func(ctx context.Context, s *facts.Store) (*Firewall, error) {
		return collect(ctx, s, runHost)
	})
}

// Collect reads the firewall of t with facts of its own.
func Collect(ctx context.Context, t target.Target) (*Firewall, error) {
	return collect(ctx, facts.NewStore(ctx, t), runHost)
}

// Runner runs a program of the scanning host and returns its standard
// output.
type Runner func(ctx context.Context, bin string, args ...string) ([]byte, error)

// units per manager; iptables' are Debian's netfilter-persistent and
// RHEL's iptables/ip6tables services.
var managerUnits = []struct {
	name  string
	units []string
}{
	{Nftables, []string{"nftables.service"}},
	{Iptables, []string{"netfilter-persistent.service", "iptables.service", "ip6tables.service"}},
	{UFWName, []string{"ufw.service"}},
	{FirewalldApp, []string{"firewalld.service"}},
}

// nftConfigs are the files nftables.service loads: Debian's and
// Fedora/RHEL's.
var nftConfigs = []string{"etc/nftables.conf", "etc/sysconfig/nftables.conf"}

// iptFiles maps the iptables units to the files they restore and family.
var iptFiles = map[string][][2]string{
	"netfilter-persistent.service": {{"etc/iptables/rules.v4", "ip"}, {"etc/iptables/rules.v6", "ip6"}},
	"iptables.service":             {{"etc/sysconfig/iptables", "ip"}},
	"ip6tables.service":            {{"etc/sysconfig/ip6tables", "ip6"}},
}

func collect(ctx context.Context, s *facts.Store, run Runner) (*Firewall, error) {
	t := s.Target()
	f := &Firewall{Persisted: &Ruleset{Chains: []*Chain{}}}
	sd, err := systemd.Get(s)
	if err != nil {
		return nil, fmt.Errorf("firewall: service units: %w", err)
	}
	for _, mu := range managerUnits {
		m := Manager{Name: mu.name, Units: mu.units, Enabled: []string{}, Files: []string{}}
		for _, u := range mu.units {
			st, err := sd.State(u)
			if err != nil {
				return nil, fmt.Errorf("firewall: %s: %w", u, err)
			}
			if st.State == systemd.Enabled {
				m.Enabled = append(m.Enabled, u)
			}
		}
		m.Active = len(m.Enabled) > 0
		rs := &Ruleset{}
		var problems []string
		switch mu.name {
		case Nftables:
			problems, err = readNft(t, rs, &m)
		case Iptables:
			problems, err = readIptables(t, rs, &m)
		case UFWName:
			var u *UFW
			u, problems, err = readUFW(t, rs)
			if u != nil {
				f.UFW, m.Files = u, append(m.Files, u.Files...)
				if m.Active && !u.Enabled {
					m.Active, m.Note = false, "ufw.service is enabled but ENABLED is not yes in /etc/ufw/ufw.conf"
				}
			}
		case FirewalldApp:
			var fw *Firewalld
			fw, problems, err = readFirewalld(t, rs)
			if fw != nil {
				f.Firewalld, m.Files = fw, append(m.Files, fw.Files...)
				if fw.Present && fw.Zones[fw.DefaultZone] == nil {
					problems = append(problems, fmt.Sprintf("default zone %q has no zone file", fw.DefaultZone))
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("firewall: %s: %w", mu.name, err)
		}
		m.Errors = problems
		if m.Active && (mu.name != Nftables || len(problems) == 0) {
			// nft -f refuses the whole configuration over one error;
			// iptables-restore applies each file all or nothing
			// (readIptables and readUFW leave a broken file out and
			// report it), firewalld skips a broken zone.
			f.Persisted.Chains = append(f.Persisted.Chains, rs.Chains...)
			f.Persisted.Dormant = append(f.Persisted.Dormant, rs.Dormant...)
		}
		f.Managers = append(f.Managers, m)
	}
	planned, _ := t.(interface{ Planned() bool })
	switch {
	case planned != nil && planned.Planned():
		f.RunningNote = "planned state: only the persisted configuration a fix changes is judged"
	case t.Live():
		f.readRunning(ctx, t, run)
	default:
		f.RunningNote = "the target is not running: only the persisted configuration is known"
	}
	return f, nil
}

// readNft reads the first nftables configuration present.
func readNft(t target.Target, rs *Ruleset, m *Manager) ([]string, error) {
	for _, conf := range nftConfigs {
		if _, err := t.Stat(conf); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		p := newNftParser(Nftables, func(arg string) ([]string, error) { return nftInclude(t, arg) },
			func(name string) ([]byte, error) { return target.ReadFileLimit(t, name, 1<<20) })
		err := p.file(conf)
		m.Files = append(m.Files, p.files...)
		*rs = *p.rs
		if err != nil {
			return []string{err.Error()}, nil
		}
		return nil, nil
	}
	if len(m.Enabled) > 0 {
		return []string{"nftables.service is enabled but " + target.Abs(nftConfigs[0]) + " does not exist"}, nil
	}
	return nil, nil
}

// nftInclude resolves an include argument to root-relative files:
// a glob's matches in order, none being fine; a plain name must exist.
func nftInclude(t target.Target, arg string) ([]string, error) {
	pat := nftIncludePattern(arg)
	dir, base := path.Split(pat)
	if !strings.ContainsAny(base, "*?[") {
		if _, err := t.Stat(pat); err != nil {
			return nil, fmt.Errorf("include %q: %w", arg, err)
		}
		return []string{pat}, nil
	}
	if strings.ContainsAny(dir, "*?[") {
		return nil, fmt.Errorf("include %q: wildcards in directories are not supported", arg)
	}
	ms, err := target.Glob(t, dir, base)
	if err != nil {
		return nil, fmt.Errorf("include %q: %w", arg, err)
	}
	var out []string
	for _, p := range ms {
		if fi, err := t.Stat(p); err == nil && fi.Mode.IsRegular() {
			out = append(out, p)
		}
	}
	return out, nil
}

func readIptables(t target.Target, rs *Ruleset, m *Manager) ([]string, error) {
	var problems []string
	seen := map[string]bool{}
	for _, u := range m.Units {
		for _, ff := range iptFiles[u] {
			// Files of enabled units, or every present file when none is.
			if len(m.Enabled) > 0 && !contains(m.Enabled, u) || seen[ff[0]] {
				continue
			}
			seen[ff[0]] = true
			b, err := target.ReadFileLimit(t, ff[0], 4<<20)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue // the unit skips a family without rules
				}
				return nil, err
			}
			m.Files = append(m.Files, target.Abs(ff[0]))
			// iptables-restore applies a file all or nothing.
			one := &Ruleset{}
			if err := ParseIptables(one, b, target.Abs(ff[0]), ff[1], Iptables, false); err != nil {
				problems = append(problems, err.Error())
				continue
			}
			rs.Chains = append(rs.Chains, one.Chains...)
		}
	}
	return problems, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// readRunning asks the running kernel, only when the target is this
// host: a live root elsewhere (a fixture) has no kernel of its own.
func (f *Firewall) readRunning(ctx context.Context, t target.Target, run Runner) {
	if t.Kind() != target.KindHost || t.Name() != "/" || run == nil {
		f.RunningNote = "the running ruleset is read only on the scanning host itself"
		return
	}
	rs := &Ruleset{Chains: []*Chain{}}
	var used []string
	if bin := findBin(t, "nft"); bin != "" {
		out, err := run(ctx, bin, "list", "ruleset")
		if err != nil {
			f.RunningNote = "nft list ruleset: " + err.Error()
			return
		}
		p := newNftParser("running", func(arg string) ([]string, error) { return nil, fmt.Errorf("include %q in a listed ruleset", arg) }, nil)
		if err := p.parse(string(out), "nft list ruleset"); err != nil {
			f.RunningNote = "nft list ruleset: " + err.Error()
			return
		}
		rs = p.rs
		used = append(used, "nft list ruleset")
	}
	// Legacy iptables tables are invisible to nft.
	for _, v := range [][2]string{{"iptables-legacy-save", "ip"}, {"ip6tables-legacy-save", "ip6"}} {
		bin := findBin(t, v[0])
		if bin == "" {
			continue
		}
		out, err := run(ctx, bin)
		if err != nil {
			f.RunningNote = v[0] + ": " + err.Error()
			return
		}
		if err := ParseIptables(rs, out, v[0], v[1], "running", false); err != nil {
			f.RunningNote = v[0] + ": " + err.Error()
			return
		}
		used = append(used, v[0])
	}
	if len(used) == 0 {
		f.RunningNote = "neither nft nor iptables-legacy-save is installed: the running ruleset is unknown"
		return
	}
	f.Running, f.RunningSource = rs, strings.Join(used, ", ")
}

func findBin(t target.Target, name string) string {
	for _, d := range []string{"usr/sbin", "sbin", "usr/bin"} {
		if fi, err := t.Stat(d + "/" + name); err == nil && fi.Mode.IsRegular() {
			return "/" + d + "/" + name
		}
	}
	return ""
}

// maxOutput bounds what a listing may print.
const maxOutput = 16 << 20

type capped struct {
	bytes.Buffer
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if c.Len()+len(p) > maxOutput {
		c.over = true
		return 0, errors.New("output too large")
	}
	return c.Buffer.Write(p)
}

// runHost runs bin with a timeout and bounded output; listing a ruleset
// changes nothing.
func runHost(ctx context.Context, bin string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var out, errb capped
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if out.over {
			return nil, fmt.Errorf("more than %d bytes of output", maxOutput)
		}
		msg := strings.TrimSpace(errb.String())
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return nil, fmt.Errorf("%w: %s", err, msg)
	}
	return out.Bytes(), nil
}
