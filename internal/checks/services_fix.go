package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/systemd"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// Fixes for service_state and default_target work on the unit files and
// symlinks systemctl itself would write (enable, disable, mask,
// set-default), so they apply to offline trees too. They never start or
// stop anything: a running unit keeps running until it is stopped or the
// system reboots.

// unitFileDirs is where a fix looks for the unit file to link to, in
// systemctl's order of precedence.
var unitFileDirs = []string{"etc/systemd/system", "usr/lib/systemd/system", "lib/systemd/system"}

const localUnitDir = "etc/systemd/system"

// unitFile is a unit file found for a name.
type unitFile struct {
	path   string // root-relative path in the search path
	dest   string // absolute path enablement links point to
	masked bool   // a link to /dev/null or an empty file
	data   []byte
}

// findUnitFile looks up name (or, for an instance, its template) in the
// planned state.
func findUnitFile(ch *remedy.Changes, name string) (unitFile, bool, error) {
	cands := []string{name}
	if tmpl, ok := unitTemplate(name); ok {
		cands = append(cands, tmpl)
	}
	for _, n := range cands {
		for _, dir := range unitFileDirs {
			p := dir + "/" + n
			fi, err := ch.Lstat(p)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return unitFile{}, false, err
			}
			u := unitFile{path: p, dest: target.Abs(p)}
			if fi.Mode&fs.ModeSymlink != 0 {
				l, err := ch.Overlay().Readlink(p)
				if err != nil {
					return unitFile{}, false, err
				}
				if l == "/dev/null" {
					u.masked = true
					return u, true, nil
				}
				if strings.HasPrefix(l, "/") {
					u.dest = l
				}
			} else if fi.Mode.IsRegular() && fi.Size == 0 {
				u.masked = true
				return u, true, nil
			}
			b, err := ch.ReadFile(p)
			if errors.Is(err, fs.ErrNotExist) {
				continue // dangling link
			}
			if err != nil {
				return unitFile{}, false, err
			}
			u.data = b
			return u, true, nil
		}
	}
	return unitFile{}, false, nil
}

// unitTemplate maps "getty@tty1.service" to "getty@.service".
func unitTemplate(name string) (string, bool) {
	at := strings.IndexByte(name, '@')
	ext := path.Ext(name)
	if at < 0 || at+1 >= len(name)-len(ext) {
		return "", false
	}
	return name[:at+1] + ext, true
}

// isUnitTemplate reports whether name is a template ("getty@.service").
func isUnitTemplate(name string) bool {
	return strings.HasSuffix(strings.TrimSuffix(name, path.Ext(name)), "@")
}

// installSection is what [Install] of a unit file asks enable to create.
type installSection struct {
	wantedBy, requiredBy, upheldBy, alias []string
	defaultInstance                       string
}

func parseInstall(b []byte) installSection {
	var s installSection
	for k, v := range systemd.InstallDirectives(b) {
		var dst *[]string
		switch k {
		case "WantedBy":
			dst = &s.wantedBy
		case "RequiredBy":
			dst = &s.requiredBy
		case "UpheldBy":
			dst = &s.upheldBy
		case "Alias":
			dst = &s.alias
		case "DefaultInstance":
			s.defaultInstance = strings.TrimSpace(v)
			continue
		default:
			continue
		}
		if strings.TrimSpace(v) == "" {
			*dst = nil // an empty assignment resets the list
			continue
		}
		*dst = append(*dst, strings.Fields(v)...)
	}
	return s
}

func (s installSection) enables() bool {
	return len(s.wantedBy)+len(s.requiredBy)+len(s.upheldBy) > 0
}

// stateOK is the per-unit decision of serviceStateCheck.Evaluate.
func (c *serviceStateCheck) stateOK(state string) bool {
	switch c.a.State {
	case "enabled":
		return state == systemd.Enabled
	case "disabled":
		return state == systemd.Disabled || state == systemd.Static || state == systemd.Masked
	case "masked":
		return state == systemd.Masked
	default:
		return state != systemd.Enabled
	}
}

// Remediate enables, disables or masks the units the check found in the
// wrong state, by the links systemctl would create or remove.
func (c *serviceStateCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	cfg, err := systemd.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("read service configuration: %w", err)
	}
	switch cfg.Init {
	case "":
		return nil
	case systemd.Systemd:
	default:
		ch.Defer(fmt.Sprintf("make %s %s", strings.Join(c.a.Units, ", "), c.a.State),
			fmt.Sprintf("the target uses %s, not systemd; change its rc links with its own tools (update-rc.d, rc-update)", cfg.Init))
		return nil
	}
	names := c.unitNames(cfg)
	if c.a.State == "enabled" && c.a.Any {
		return c.enableAny(ch, cfg, names)
	}
	for _, n := range names {
		us, err := cfg.State(n)
		if err != nil {
			return fmt.Errorf("unit %s: %w", n, err)
		}
		if c.stateOK(us.State) || (us.State == systemd.Absent && c.a.AbsentOK && c.a.State != "not_enabled") {
			continue
		}
		switch c.a.State {
		case "enabled":
			err = enableUnit(ch, n, c.notInstalled)
		case "masked":
			err = maskUnit(ch, n, "")
		default:
			if us.State == systemd.Absent {
				ch.Defer("disable "+n, fmt.Sprintf("unit %s is not installed; the rule expects it installed and disabled (absent_ok accepts it missing)", n))
				continue
			}
			err = disableUnit(ctx, ch, n, us)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// enableAny enables the first listed unit that is installed.
func (c *serviceStateCheck) enableAny(ch *remedy.Changes, cfg *systemd.Config, names []string) error {
	for _, n := range names {
		if strings.ContainsAny(n, "*?[") {
			continue
		}
		if _, ok, err := findUnitFile(ch, n); err != nil {
			return err
		} else if ok {
			return enableUnit(ch, n, c.notInstalled)
		}
	}
	ch.Defer("enable one of "+orList(names), c.notInstalled(orList(names)))
	return nil
}

func (c *serviceStateCheck) notInstalled(units string) string {
	if c.a.Package != "" {
		return fmt.Sprintf("unit file not installed (%s); install package %s first", units, c.a.Package)
	}
	return fmt.Sprintf("unit file not installed (%s); install the package that ships it first", units)
}

// enableUnit creates the links of the unit's [Install] section, removing
// a mask in /etc first; missing words the reason when the unit file is not
// installed.
func enableUnit(ch *remedy.Changes, name string, missing func(units string) string) error {
	if strings.ContainsAny(name, "*?[") {
		ch.Defer("enable "+name, missing(name))
		return nil
	}
	uf, ok, err := findUnitFile(ch, name)
	if err != nil {
		return err
	}
	if ok && uf.masked {
		if path.Dir(uf.path) != localUnitDir {
			ch.Defer("enable "+name, fmt.Sprintf("%s is masked by %s, outside /etc; the vendor mask cannot be lifted by an enable", name, target.Abs(uf.path)))
			return nil
		}
		if err := ch.Remove(uf.path, "unmask "+name); err != nil {
			return err
		}
		if uf, ok, err = findUnitFile(ch, name); err != nil {
			return err
		}
	}
	if !ok {
		ch.Defer("enable "+name, missing(name))
		return nil
	}
	inst := parseInstall(uf.data)
	if !inst.enables() {
		ch.Defer("enable "+name, fmt.Sprintf("%s has no WantedBy=, RequiredBy= or UpheldBy= in its [Install] section (a static unit started as a dependency); nothing to link", target.Abs(uf.path)))
		return nil
	}
	link := name
	if isUnitTemplate(name) {
		if inst.defaultInstance == "" {
			ch.Defer("enable "+name, "a template unit is enabled through an instance (name@instance"+path.Ext(name)+"), and it has no DefaultInstance=")
			return nil
		}
		link = strings.TrimSuffix(name, path.Ext(name)) + inst.defaultInstance + path.Ext(name)
	}
	summary := fmt.Sprintf("enable %s (takes effect at the next boot, or start it now with systemctl start)", link)
	for _, set := range []struct {
		units []string
		dir   string
	}{{inst.wantedBy, ".wants"}, {inst.requiredBy, ".requires"}, {inst.upheldBy, ".upholds"}} {
		for _, by := range set.units {
			if err := ch.Symlink(localUnitDir+"/"+by+set.dir+"/"+link, uf.dest, summary); err != nil {
				return err
			}
		}
	}
	for _, a := range inst.alias {
		p := localUnitDir + "/" + a
		if _, err := ch.Lstat(p); err == nil {
			continue // systemctl leaves an existing alias alone too
		}
		if err := ch.Symlink(p, uf.dest, fmt.Sprintf("alias %s for %s", a, link)); err != nil {
			return err
		}
	}
	return nil
}

// disableUnit removes the unit's enablement links under /etc and the
// Alias= links of its unit file, what systemctl disable removes. Links it
// cannot remove (shipped under /usr/lib, runtime links under /run, SysV rc
// links read by the generator) leave the unit enabled; it is masked then.
func disableUnit(ctx context.Context, ch *remedy.Changes, name string, us systemd.UnitState) error {
	summary := fmt.Sprintf("disable %s (a running %s keeps running until stopped or the next reboot)", name, name)
	for _, l := range us.EnabledBy {
		if !strings.HasPrefix(l.Path, "/etc/systemd/") {
			continue
		}
		if err := ch.Remove(l.Path, summary); err != nil {
			return err
		}
	}
	// Alias= links of the canonical unit, except the name the rule uses.
	unit := us.Unit
	if unit == "" {
		unit = name
	}
	if uf, ok, err := findUnitFile(ch, unit); err != nil {
		return err
	} else if ok && !uf.masked {
		for _, a := range parseInstall(uf.data).alias {
			p := localUnitDir + "/" + a
			if a == name {
				continue
			}
			if l, err := ch.Overlay().Readlink(p); err == nil && path.Base(l) == path.Base(uf.path) {
				if err := ch.Remove(p, summary); err != nil {
					return err
				}
			}
		}
	}
	cfg, err := systemd.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("read service configuration: %w", err)
	}
	after, err := cfg.State(name)
	if err != nil {
		return fmt.Errorf("unit %s: %w", name, err)
	}
	if after.State == systemd.Enabled {
		var by []string
		for _, l := range after.EnabledBy {
			by = append(by, l.Path)
		}
		if err := maskUnit(ch, name, "still enabled by "+strings.Join(by, ", ")+", which disable cannot remove"); err != nil {
			return err
		}
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectServiceOff, Subject: name})
	return nil
}

// maskUnit links /etc/systemd/system/<name> to /dev/null, as systemctl
// mask does; a local unit file there is not replaced.
func maskUnit(ch *remedy.Changes, name, why string) error {
	p := localUnitDir + "/" + name
	summary := fmt.Sprintf("mask %s (a running %s keeps running until stopped or the next reboot)", name, name)
	if why != "" {
		summary = fmt.Sprintf("mask %s: %s (a running unit keeps running until stopped or the next reboot)", name, why)
	}
	fi, err := ch.Lstat(p)
	switch {
	case err == nil && fi.Mode.IsRegular() && fi.Size > 0:
		ch.Defer("mask "+name, fmt.Sprintf("%s is a local unit file; masking would replace it (move it aside first)", target.Abs(p)))
		return nil
	case err == nil && fi.Mode.IsDir():
		ch.Defer("mask "+name, target.Abs(p)+" is a directory")
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if err := ch.Symlink(p, "/dev/null", summary); err != nil {
		return err
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectServiceOff, Subject: name})
	return nil
}

// Remediate points /etc/systemd/system/default.target at the first
// allowed target that is installed, as systemctl set-default does.
func (c *defaultTargetCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	for _, want := range c.a.Allowed {
		uf, ok, err := findUnitFile(ch, want)
		if err != nil {
			return err
		}
		if !ok || uf.masked {
			continue
		}
		return ch.Symlink(localUnitDir+"/default.target", uf.dest, "boot into "+want+" (systemctl set-default "+want+"; takes effect at the next boot)")
	}
	ch.Defer("set the default target to "+orList(c.a.Allowed), "no unit file for "+orList(c.a.Allowed)+" in /etc/systemd/system, /usr/lib/systemd/system or /lib/systemd/system")
	return nil
}
