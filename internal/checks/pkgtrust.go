package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/pkgtrust"
	"github.com/cradle-cra/cradle/internal/collect/systemd"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
)

var allManagers = []string{"apt", "dnf", "apk"}

func validManagers(n *yaml.Node, ms []string) ([]string, error) {
	if len(ms) == 0 {
		return allManagers, nil
	}
	for _, m := range ms {
		if !slices.Contains(allManagers, m) {
			return nil, check.ArgErrorf(n, "managers: %q is not one of apt, dnf, apk", m)
		}
	}
	return ms, nil
}

// managedRepos returns the enabled repositories of the selected managers
// present on the target, and whether any of them is present.
func managedRepos(tr *pkgtrust.Trust, managers []string) (repos []pkgtrust.Repo, present bool) {
	if tr.Apt != nil && slices.Contains(managers, "apt") {
		present = true
		repos = append(repos, tr.Apt.Sources...)
	}
	if tr.Dnf != nil && slices.Contains(managers, "dnf") {
		present = true
		repos = append(repos, tr.Dnf.Repos...)
	}
	if tr.Apk != nil && slices.Contains(managers, "apk") {
		present = true
		repos = append(repos, tr.Apk.Repos...)
	}
	return repos, present
}

// repoSignaturesTemplate requires every enabled repository to have its
// packages signature-checked, for each package manager present:
//
//	repo_signatures: {managers: [apt, dnf, apk], repo_gpgcheck: false}
//
// APT: no trusted=yes, allow-insecure, allow-weak or
// allow-downgrade-to-insecure source option. DNF/YUM: gpgcheck (or dnf5's
// pkg_gpgcheck) on, from the repository or [main]; with repo_gpgcheck,
// repository metadata must be signed-checked too. apk: allow-untrusted not
// set in /etc/apk/config.
type repoSignaturesTemplate struct{}

type repoSignaturesArgs struct {
	Managers     []string `yaml:"managers"`
	RepoGPGCheck bool     `yaml:"repo_gpgcheck"`
}

type repoSignaturesCheck struct {
	a        repoSignaturesArgs
	managers []string
}

func (repoSignaturesTemplate) Name() string { return "repo_signatures" }

func (repoSignaturesTemplate) New(n *yaml.Node) (check.Check, error) {
	var a repoSignaturesArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	ms, err := validManagers(n, a.Managers)
	if err != nil {
		return nil, err
	}
	return &repoSignaturesCheck{a: a, managers: ms}, nil
}

func (c *repoSignaturesCheck) Fixable() bool { return true }

var aptInsecureOptions = []string{"trusted", "allow-insecure", "allow-weak", "allow-downgrade-to-insecure"}

func (c *repoSignaturesCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	tr, err := pkgtrust.Get(f)
	if err != nil {
		return check.FromErr("read repository configuration", err)
	}
	var ev []result.Evidence
	bad := false
	if _, present := managedRepos(tr, c.managers); !present {
		return check.NotApplicable("no %s repository configuration found", strings.Join(c.managers, ", "))
	}
	if tr.Apt != nil && slices.Contains(c.managers, "apt") {
		for _, r := range tr.Apt.Sources {
			if !r.Enabled {
				continue
			}
			var insecure []string
			for _, o := range aptInsecureOptions {
				if v, ok := r.Options[o]; ok && pkgtrust.AptBool(v, false) {
					insecure = append(insecure, o+"="+v)
				}
			}
			e := result.Evidence{Expected: "signatures verified (no trusted/allow-insecure options)", File: r.File, Line: r.Line}
			if len(insecure) > 0 {
				bad = true
				e.Observed = r.ID + ": " + strings.Join(insecure, " ")
			} else {
				e.Observed = r.ID + ": signatures verified"
			}
			ev = append(ev, e)
		}
	}
	if d := tr.Dnf; d != nil && slices.Contains(c.managers, "dnf") {
		for i, r := range d.Repos {
			if !r.Enabled {
				continue
			}
			keys := [][]string{{"pkg_gpgcheck", "gpgcheck"}}
			if c.a.RepoGPGCheck {
				keys = append(keys, []string{"repo_gpgcheck"})
			}
			for _, k := range keys {
				e := result.Evidence{Expected: k[len(k)-1] + "=1", File: r.File, Line: r.Line}
				v, file, line, ok := d.Effective(i, k...)
				switch {
				case !ok:
					bad = true
					e.Observed = fmt.Sprintf("[%s]: %s not set (dnf default: off)", r.ID, k[len(k)-1])
				case !pkgtrust.AptBool(v, false):
					bad = true
					e.Observed, e.File, e.Line = fmt.Sprintf("[%s]: %s=%s", r.ID, k[len(k)-1], v), file, line
				default:
					e.Observed, e.File, e.Line = fmt.Sprintf("[%s]: %s=%s", r.ID, k[len(k)-1], v), file, line
				}
				ev = append(ev, e)
			}
		}
	}
	if a := tr.Apk; a != nil && slices.Contains(c.managers, "apk") {
		if a.Untrusted {
			bad = true
			ev = append(ev, result.Evidence{Expected: "allow-untrusted not set", Observed: "allow-untrusted", File: a.UntrustedFile, Line: a.UntrustedLine})
		} else {
			ev = append(ev, result.Evidence{Expected: "allow-untrusted not set", Observed: fmt.Sprintf("%d repositories, index signatures verified with %d keys in /etc/apk/keys", len(a.Repos), a.Keys), File: "/etc/apk/repositories"})
		}
	}
	if len(ev) == 0 {
		ev = append(ev, result.Evidence{Expected: "signatures verified", Observed: "no enabled repositories"})
	}
	if bad {
		return check.Fail(ev...)
	}
	return check.Pass(ev...)
}

// repoTransportTemplate requires every enabled repository to be fetched
// over TLS with certificate verification (or from local media):
//
//	repo_transport: {managers: [apt, dnf, apk]}
type repoTransportTemplate struct{}

type repoTransportCheck struct{ managers []string }

func (repoTransportTemplate) Name() string { return "repo_transport" }

func (repoTransportTemplate) New(n *yaml.Node) (check.Check, error) {
	var a struct {
		Managers []string `yaml:"managers"`
	}
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	ms, err := validManagers(n, a.Managers)
	if err != nil {
		return nil, err
	}
	return &repoTransportCheck{ms}, nil
}

func (c *repoTransportCheck) Fixable() bool { return false }

// secureURI accepts https (also behind apt's mirror+ and tor+ methods) and
// local sources.
func secureURI(u string) bool {
	l := strings.ToLower(u)
	for _, p := range []string{"mirror+", "tor+"} {
		l = strings.TrimPrefix(l, p)
	}
	if strings.HasPrefix(l, "/") {
		return true
	}
	for _, p := range []string{"https://", "file:", "cdrom:", "copy:"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

func (c *repoTransportCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	tr, err := pkgtrust.Get(f)
	if err != nil {
		return check.FromErr("read repository configuration", err)
	}
	repos, present := managedRepos(tr, c.managers)
	if !present {
		return check.NotApplicable("no %s repository configuration found", strings.Join(c.managers, ", "))
	}
	var ev []result.Evidence
	bad := false
	for _, r := range repos {
		if !r.Enabled {
			continue
		}
		for _, u := range r.URIs {
			e := result.Evidence{Expected: "https or local", Observed: u, File: r.File, Line: r.Line}
			if !secureURI(u) {
				bad = true
			}
			ev = append(ev, e)
		}
		if r.Manager == "dnf" {
			if v, ok := r.Options["sslverify"]; ok && !pkgtrust.AptBool(v, true) {
				bad = true
				ev = append(ev, result.Evidence{Expected: "sslverify=1", Observed: fmt.Sprintf("[%s]: sslverify=%s", r.ID, v), File: r.File, Line: r.Line})
			}
		}
	}
	if d := tr.Dnf; d != nil && slices.Contains(c.managers, "dnf") {
		if o, ok := d.Main["sslverify"]; ok && !pkgtrust.AptBool(o.Value, true) {
			bad = true
			ev = append(ev, result.Evidence{Expected: "sslverify=1", Observed: "[main]: sslverify=" + o.Value, File: d.MainFile, Line: o.Line})
		}
	}
	if len(ev) == 0 {
		ev = append(ev, result.Evidence{Expected: "https or local", Observed: "no enabled repositories"})
	}
	if bad {
		return check.Fail(ev...)
	}
	return check.Pass(ev...)
}

// aptConfTemplate checks one effective APT configuration option (merged
// from /etc/apt/apt.conf.d/* then /etc/apt/apt.conf, last assignment
// wins):
//
//	apt_conf: {key: APT::Periodic::Unattended-Upgrade, enabled: true}
//	apt_conf: {key: APT::Get::AllowUnauthenticated, enabled: false, default: "false"}
//	apt_conf: {key: Acquire::http::Proxy, allowed: ["http://proxy:3128"]}
//
//	apt_conf: {keys: [Unattended-Upgrade::Origins-Pattern, Unattended-Upgrade::Allowed-Origins], item_contains: ["-security", "Security"]}
//
// enabled treats the value as a switch or interval: off is "", 0, false,
// no, off, never, disable; anything else is on. default is apt's built-in
// value used when the option is not set; without it an unset option fails.
// item_contains passes when an item of the list options (the union over
// keys) contains one of the strings. With several keys, enabled and
// allowed use the first key that is set.
type aptConfTemplate struct{}

type aptConfArgs struct {
	Key          string   `yaml:"key"`
	Keys         []string `yaml:"keys"`
	Enabled      *bool    `yaml:"enabled"`
	Allowed      []string `yaml:"allowed"`
	ItemContains []string `yaml:"item_contains"`
	Default      *string  `yaml:"default"`
}

type aptConfCheck struct{ a aptConfArgs }

func (aptConfTemplate) Name() string { return "apt_conf" }

func (aptConfTemplate) New(n *yaml.Node) (check.Check, error) {
	var a aptConfArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if (a.Key == "") == (len(a.Keys) == 0) {
		return nil, check.ArgErrorf(n, "set exactly one of key or keys")
	}
	if a.Key != "" {
		a.Keys = []string{a.Key}
	}
	for _, k := range a.Keys {
		if k == "" || strings.ContainsAny(k, " \t\"{};") {
			return nil, check.ArgErrorf(n, "key %q is not an option name like APT::Periodic::Unattended-Upgrade", k)
		}
	}
	set := 0
	for _, b := range []bool{a.Enabled != nil, a.Allowed != nil, a.ItemContains != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		return nil, check.ArgErrorf(n, "set exactly one of enabled, allowed or item_contains")
	}
	if a.ItemContains != nil && (len(a.ItemContains) == 0 || a.Default != nil) {
		return nil, check.ArgErrorf(n, "item_contains needs at least one string and takes no default")
	}
	return &aptConfCheck{a}, nil
}

func (c *aptConfCheck) Fixable() bool { return true }

func switchOn(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no", "off", "never", "disable", "without":
		return false
	}
	return true
}

func (c *aptConfCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	tr, err := pkgtrust.Get(f)
	if err != nil {
		return check.FromErr("read APT configuration", err)
	}
	if tr.Apt == nil {
		return check.NotApplicable("APT is not configured on the target")
	}
	name := strings.Join(c.a.Keys, " or ")
	if c.a.ItemContains != nil {
		return c.evalItems(tr.Apt.Conf, name)
	}
	var exp string
	if c.a.Enabled != nil {
		exp = name + " off"
		if *c.a.Enabled {
			exp = name + " on"
		}
	} else {
		exp = name + " = " + orList(c.a.Allowed)
	}
	var asg pkgtrust.Assignment
	set := false
	for _, k := range c.a.Keys {
		if asg, set = tr.Apt.Conf.Lookup(k); set {
			break
		}
	}
	val := asg.Value
	e := result.Evidence{Expected: exp, File: asg.File, Line: asg.Line}
	if set {
		e.Observed = fmt.Sprintf("%s %q", asg.Key, asg.Value)
	} else {
		if c.a.Default == nil {
			e.Observed = name + " not set"
			e.Note = "searched /etc/apt/apt.conf.d/* and /etc/apt/apt.conf"
			return check.Fail(e)
		}
		val = *c.a.Default
		e.Observed = fmt.Sprintf("%s not set (APT default %q)", name, val)
	}
	var ok bool
	if c.a.Enabled != nil {
		ok = switchOn(val) == *c.a.Enabled
	} else {
		ok = slices.ContainsFunc(c.a.Allowed, func(s string) bool { return strings.EqualFold(s, val) })
	}
	if ok {
		return check.Pass(e)
	}
	return check.Fail(e)
}

func (c *aptConfCheck) evalItems(conf *pkgtrust.AptConf, name string) check.Outcome {
	exp := "an item of " + name + " containing " + orList(c.a.ItemContains)
	var ev []result.Evidence
	for _, k := range c.a.Keys {
		asg, ok := conf.Lookup(k)
		if !ok {
			continue
		}
		for i, item := range asg.List {
			for _, want := range c.a.ItemContains {
				if strings.Contains(strings.ToLower(item), strings.ToLower(want)) {
					return check.Pass(result.Evidence{Expected: exp, Observed: fmt.Sprintf("%s: %q", asg.Key, item), File: asg.ListFiles[i], Line: asg.ListLines[i]})
				}
			}
		}
		obs := asg.Key + ": no matching item"
		if len(asg.List) == 0 {
			obs = asg.Key + ": empty"
		}
		ev = append(ev, result.Evidence{Expected: exp, Observed: obs, File: asg.File, Line: asg.Line})
	}
	if len(ev) == 0 {
		ev = append(ev, result.Evidence{Expected: exp, Observed: name + " not set", Note: "searched /etc/apt/apt.conf.d/* and /etc/apt/apt.conf"})
	}
	return check.Fail(ev...)
}

// dnfAutomaticTemplate requires dnf-automatic to install updates on its
// own: dnf-automatic-install.timer enabled, or dnf-automatic.timer /
// dnf5-automatic.timer enabled with apply_updates = yes in the [commands]
// section of /etc/dnf/automatic.conf (the default only downloads):
//
//	dnf_automatic: {}
type dnfAutomaticTemplate struct{}

type dnfAutomaticCheck struct{}

func (dnfAutomaticTemplate) Name() string { return "dnf_automatic" }

func (dnfAutomaticTemplate) New(n *yaml.Node) (check.Check, error) {
	var a struct{}
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	return dnfAutomaticCheck{}, nil
}

func (dnfAutomaticCheck) Fixable() bool { return true }

func (dnfAutomaticCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	tr, err := pkgtrust.Get(f)
	if err != nil {
		return check.FromErr("read DNF configuration", err)
	}
	if tr.Dnf == nil {
		return check.NotApplicable("DNF/YUM is not configured on the target")
	}
	cfg, err := systemd.Get(f)
	if err != nil {
		return check.FromErr("read service configuration", err)
	}
	if cfg.Init != systemd.Systemd {
		return check.NotApplicable("dnf-automatic runs from systemd timers; the target does not use systemd")
	}
	const exp = "updates applied automatically"
	us, err := cfg.State("dnf-automatic-install.timer")
	if err != nil {
		return check.FromErr("unit dnf-automatic-install.timer", err)
	}
	if us.State == systemd.Enabled {
		return check.Pass(result.Evidence{Expected: exp, Observed: "dnf-automatic-install.timer enabled", File: us.EnabledBy[0].Path})
	}
	ev := []result.Evidence{{Expected: exp, Observed: "dnf-automatic-install.timer " + us.State, File: us.File}}
	for _, unit := range []string{"dnf-automatic.timer", "dnf5-automatic.timer"} {
		us, err := cfg.State(unit)
		if err != nil {
			return check.FromErr("unit "+unit, err)
		}
		if us.State != systemd.Enabled {
			ev = append(ev, result.Evidence{Expected: exp, Observed: unit + " " + us.State, File: us.File})
			continue
		}
		ev = append(ev, result.Evidence{Expected: exp, Observed: unit + " enabled", File: us.EnabledBy[0].Path})
		o, ok := tr.Dnf.Automatic["commands"].Options["apply_updates"]
		switch {
		case tr.Dnf.Automatic == nil:
			ev = append(ev, result.Evidence{Expected: "apply_updates = yes", Observed: "no /etc/dnf/automatic.conf (default: download only)", File: "/etc/dnf/automatic.conf"})
		case !ok:
			ev = append(ev, result.Evidence{Expected: "apply_updates = yes", Observed: "apply_updates not set (default: no)", File: tr.Dnf.AutomaticFile})
		default:
			ev = append(ev, result.Evidence{Expected: "apply_updates = yes", Observed: "apply_updates = " + o.Value, File: tr.Dnf.AutomaticFile, Line: o.Line})
			if pkgtrust.AptBool(o.Value, false) {
				return check.Pass(ev...)
			}
		}
	}
	return check.Fail(ev...)
}
