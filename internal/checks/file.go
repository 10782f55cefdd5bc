package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// fileModeTemplate checks permission bits and ownership of files:
//
//	file_mode: {paths: [/etc/shadow], max_mode: "0640", owner: root, group: [root, shadow], missing: pass}
type fileModeTemplate struct{}

type fileModeArgs struct {
	Paths   []string `yaml:"paths"`
	MaxMode string   `yaml:"max_mode"` // no permission bit beyond these
	Owner   []string `yaml:"owner"`    // user names or numeric uids
	Group   []string `yaml:"group"`
	// Missing says what an absent file means: pass (default),
	// not_applicable or fail.
	Missing string `yaml:"missing"`
}

type fileModeCheck struct {
	args    fileModeArgs
	maxMode fs.FileMode
	hasMode bool
}

func (fileModeTemplate) Name() string { return "file_mode" }

func (fileModeTemplate) New(n *yaml.Node) (check.Check, error) {
	var a fileModeArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if len(a.Paths) == 0 {
		return nil, check.ArgErrorf(n, "paths: at least one path is required")
	}
	c := &fileModeCheck{args: a}
	if a.MaxMode != "" {
		m, err := strconv.ParseUint(a.MaxMode, 8, 32)
		if err != nil || m > 07777 {
			return nil, check.ArgErrorf(n, "max_mode %q is not an octal mode like \"0640\"", a.MaxMode)
		}
		c.maxMode, c.hasMode = fs.FileMode(m), true
	}
	if a.Owner == nil && a.Group == nil && !c.hasMode {
		return nil, check.ArgErrorf(n, "set at least one of max_mode, owner, group")
	}
	switch a.Missing {
	case "", "pass", "fail", "not_applicable":
	default:
		return nil, check.ArgErrorf(n, "missing must be pass, fail or not_applicable")
	}
	return c, nil
}

func (c *fileModeCheck) Fixable() bool { return true }

// PermBits converts Go's FileMode to the octal bits chmod(1) shows.
func PermBits(m fs.FileMode) uint32 {
	b := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		b |= 04000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 02000
	}
	if m&fs.ModeSticky != 0 {
		b |= 01000
	}
	return b
}

func (c *fileModeCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	t := f.Target()
	var ev []result.Evidence
	failed, seen := false, 0
	for _, p := range c.args.Paths {
		fi, err := t.Stat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				ev = append(ev, result.Evidence{Observed: "absent", File: target.Abs(p)})
				if c.args.Missing == "fail" {
					failed = true
				}
				continue
			}
			return check.FromErr("stat "+target.Abs(p), err)
		}
		seen++
		var problems []string
		obs := fmt.Sprintf("mode %04o", PermBits(fi.Mode))
		exp := ""
		if c.hasMode {
			exp = fmt.Sprintf("mode %04o or stricter", uint32(c.maxMode))
			if PermBits(fi.Mode)&^uint32(c.maxMode) != 0 {
				problems = append(problems, "mode")
			}
		}
		if c.args.Owner != nil || c.args.Group != nil {
			db, _ := accounts.Get(f)
			user, group := db.UserName(fi.UID), db.GroupName(fi.GID)
			obs += fmt.Sprintf(", owner %s, group %s", user, group)
			if c.args.Owner != nil {
				exp = join(exp, "owner "+orList(c.args.Owner))
				if !matchesID(c.args.Owner, user, fi.UID) {
					problems = append(problems, "owner")
				}
			}
			if c.args.Group != nil {
				exp = join(exp, "group "+orList(c.args.Group))
				if !matchesID(c.args.Group, group, fi.GID) {
					problems = append(problems, "group")
				}
			}
		}
		if len(problems) > 0 {
			failed = true
		}
		ev = append(ev, result.Evidence{Expected: exp, Observed: obs, File: target.Abs(p)})
	}
	if failed {
		return check.Fail(ev...)
	}
	if seen == 0 && c.args.Missing == "not_applicable" {
		o := check.NotApplicable("none of the files exist")
		o.Evidence = ev
		return o
	}
	return check.Pass(ev...)
}

func matchesID(allowed []string, name string, id uint32) bool {
	for _, a := range allowed {
		if a == name || a == strconv.FormatUint(uint64(id), 10) {
			return true
		}
	}
	return false
}

// fileExistsTemplate requires files to exist or to be absent:
//
//	file_exists: {paths: [/etc/hosts.equiv], present: false}
type fileExistsTemplate struct{}

type fileExistsArgs struct {
	Paths   []string `yaml:"paths"`
	Present bool     `yaml:"present"`
	// Any passes a presence check when at least one path exists.
	Any bool `yaml:"any"`
}

type fileExistsCheck struct{ a fileExistsArgs }

func (fileExistsTemplate) Name() string { return "file_exists" }

func (fileExistsTemplate) New(n *yaml.Node) (check.Check, error) {
	var a fileExistsArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if len(a.Paths) == 0 {
		return nil, check.ArgErrorf(n, "paths: at least one path is required")
	}
	return &fileExistsCheck{a}, nil
}

func (c *fileExistsCheck) Fixable() bool { return !c.a.Present }

func (c *fileExistsCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	var ev []result.Evidence
	present := 0
	for _, p := range c.a.Paths {
		_, err := f.Target().Lstat(p)
		switch {
		case err == nil:
			present++
			ev = append(ev, result.Evidence{Expected: want(c.a.Present), Observed: "present", File: target.Abs(p)})
		case errors.Is(err, fs.ErrNotExist):
			ev = append(ev, result.Evidence{Expected: want(c.a.Present), Observed: "absent", File: target.Abs(p)})
		default:
			return check.FromErr("stat "+target.Abs(p), err)
		}
	}
	return presence(c.a.Present, c.a.Any, present, len(c.a.Paths), ev)
}

func want(present bool) string {
	if present {
		return "present"
	}
	return "absent"
}
