package checks

import (
	"context"
	"fmt"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/packages"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
)

// packageInstalledTemplate requires packages to be installed, by name or
// glob, from whichever package database the target has (dpkg, rpm, apk):
//
//	package_installed: {names: [chrony, systemd-timesyncd, ntp], any: true}
type packageInstalledTemplate struct{}

type packageArgs struct {
	Names []string `yaml:"names"`
	// Any passes when at least one name is installed (alternatives).
	Any bool `yaml:"any"`
}

type packageCheck struct {
	a       packageArgs
	present bool // true: must be installed; false: must be absent
}

func (packageInstalledTemplate) Name() string { return "package_installed" }

func (packageInstalledTemplate) New(n *yaml.Node) (check.Check, error) {
	return newPackageCheck(n, true)
}

// packageAbsentTemplate requires packages (names or globs) not to be
// installed:
//
//	package_absent: {names: [telnetd, inetutils-telnetd, telnet-server]}
type packageAbsentTemplate struct{}

type packageAbsentArgs struct {
	Names []string `yaml:"names"`
}

func (packageAbsentTemplate) Name() string { return "package_absent" }

func (packageAbsentTemplate) New(n *yaml.Node) (check.Check, error) {
	return newPackageCheck(n, false)
}

func newPackageCheck(n *yaml.Node, present bool) (check.Check, error) {
	var a packageArgs
	if present {
		if err := check.Decode(n, &a); err != nil {
			return nil, err
		}
	} else {
		var b packageAbsentArgs
		if err := check.Decode(n, &b); err != nil {
			return nil, err
		}
		a.Names = b.Names
	}
	if len(a.Names) == 0 {
		return nil, check.ArgErrorf(n, "names: at least one package name is required")
	}
	for _, name := range a.Names {
		if strings.TrimSpace(name) == "" || strings.ContainsAny(name, " \t/") {
			return nil, check.ArgErrorf(n, "names: %q is not a package name or glob", name)
		}
		if err := validGlob(name); err != nil {
			return nil, check.ArgErrorf(n, "names: %v", err)
		}
	}
	return &packageCheck{a: a, present: present}, nil
}

func (c *packageCheck) Fixable() bool { return true }

// FixNeedsLive: installing needs the package manager and a package
// source; removal can be done offline where it is safe.
func (c *packageCheck) FixNeedsLive() bool { return c.present }

func (c *packageCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	db, err := packages.Get(f)
	if err != nil {
		return check.FromErr("read package database", err)
	}
	if !db.Found() {
		return check.NotApplicable("no package database found (dpkg, rpm or apk)")
	}
	if err := db.Err(); err != nil {
		return check.FromErr("read package database", err)
	}
	exp := "not installed"
	if c.present {
		exp = "installed"
		if c.a.Any && len(c.a.Names) > 1 {
			exp = "installed: one of " + orList(c.a.Names)
		}
	}
	var ev []result.Evidence
	var missing []string
	found := 0
	for _, name := range c.a.Names {
		m := db.Match(name)
		if len(m) == 0 {
			missing = append(missing, name)
			continue
		}
		found++
		for _, p := range m {
			obs := fmt.Sprintf("%s %s installed", p.Name, p.Version)
			if p.Arch != "" {
				obs += " (" + p.Arch + ")"
			}
			if p.Status != "installed" {
				obs += ", status " + p.Status
			}
			e := result.Evidence{Expected: exp, Observed: obs, File: p.File, Line: p.Line}
			if p.Record > 0 {
				e.Note = fmt.Sprintf("rpmdb Packages record %d", p.Record)
			}
			ev = append(ev, e)
		}
	}
	if len(missing) > 0 {
		files := db.Files()
		e := result.Evidence{Expected: exp, Observed: "not installed: " + strings.Join(missing, ", "), File: files[0]}
		if len(files) > 1 {
			e.Note = "also searched " + strings.Join(files[1:], ", ")
		}
		ev = append(ev, e)
	}
	return presence(c.present, c.a.Any, found, len(c.a.Names), ev)
}

// validGlob rejects malformed path.Match patterns at load time.
func validGlob(p string) error {
	if _, err := path.Match(p, ""); err != nil {
		return fmt.Errorf("bad glob %q: %w", p, err)
	}
	return nil
}
