package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/collect/fswalk"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// fsSystemPathsTemplate checks the ownership or write permission of the
// system program and library directories and everything in them, from
// the same walk as the other filesystem-wide templates (fswalk inventories
// fswalk.SystemDirs; symlinks are left out, their targets are walked):
//
//	fs_system_paths: {dirs: [/usr/bin, /usr/sbin], type: files, property: writable}
//	fs_system_paths: {dirs: [/usr/lib], type: dirs, property: ownership, owner: [root], max_system_gid: 999}
//
// Ownership means an allowed owner (root by default) and a group that is
// root or a system group (gid at or below max_system_gid, 999 by default:
// SYS_GID_MAX on Debian and RHEL), as setgid programs such as chage
// (shadow) or crontab (crontab) have.
type fsSystemPathsTemplate struct{}

type fsSystemPathsArgs struct {
	Dirs         []string `yaml:"dirs"`
	Type         string   `yaml:"type"`     // files or dirs
	Property     string   `yaml:"property"` // writable or ownership
	Owner        []string `yaml:"owner"`
	MaxSystemGID *uint32  `yaml:"max_system_gid"`
	Exclude      []string `yaml:"exclude"`
	// Other systems' trees (fswide_scope.go).
	SkipNestedRoots  *bool    `yaml:"skip_nested_roots"`
	OtherSystemTrees []string `yaml:"other_system_trees"`
}

type fsSystemPathsCheck struct {
	fsListCheck
	dirs      []string
	dirsOnly  bool
	ownership bool
	owner     []string
	maxGID    uint32
}

func (fsSystemPathsTemplate) Name() string { return "fs_system_paths" }

func (fsSystemPathsTemplate) New(n *yaml.Node) (check.Check, error) {
	var a fsSystemPathsArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if len(a.Dirs) == 0 {
		return nil, check.ArgErrorf(n, "dirs: at least one directory is required")
	}
	for _, d := range a.Dirs {
		if !slices.Contains(fswalk.SystemDirs, d) {
			return nil, check.ArgErrorf(n, "dirs: %q is not one of the system directories the walk inventories (%s)", d, strings.Join(fswalk.SystemDirs, ", "))
		}
	}
	ex, err := newPathPatterns(n, "exclude", a.Exclude)
	if err != nil {
		return nil, err
	}
	sc, err := newFSScope(n, a.SkipNestedRoots, a.OtherSystemTrees)
	if err != nil {
		return nil, err
	}
	c := &fsSystemPathsCheck{dirs: a.Dirs, owner: a.Owner, maxGID: 999}
	c.exclude, c.scope, c.fixable = ex, sc, true
	if a.MaxSystemGID != nil {
		c.maxGID = *a.MaxSystemGID
	}
	noun := "files"
	switch a.Type {
	case "files":
	case "dirs":
		c.dirsOnly, noun = true, "directories"
	default:
		return nil, check.ArgErrorf(n, "type must be files or dirs")
	}
	where := strings.Join(a.Dirs, ", ")
	switch a.Property {
	case "writable":
		if a.Owner != nil || a.MaxSystemGID != nil {
			return nil, check.ArgErrorf(n, "owner and max_system_gid go with property ownership")
		}
		c.what = noun + " in " + where + " writable by group or others"
		c.expected = "not writable by group or others"
		c.pick = func(f *fswalk.Facts) *fswalk.List { return &f.SystemWritable }
	case "ownership":
		c.ownership = true
		if c.owner == nil {
			c.owner = []string{"root"}
		}
		c.what = fmt.Sprintf("%s in %s not owned by %s or not in a system group", noun, where, orList(c.owner))
		c.expected = fmt.Sprintf("owner %s, group root or a system group (gid <= %d)", orList(c.owner), c.maxGID)
		c.pick = func(f *fswalk.Facts) *fswalk.List { return &f.SystemNotRoot }
	default:
		return nil, check.ArgErrorf(n, "property must be writable or ownership")
	}
	c.passed = func(int) string { return "no " + c.what }
	return c, nil
}

// in reports whether e is of the check's type below one of its dirs.
func (c *fsSystemPathsCheck) in(e fswalk.Entry) bool {
	if e.Mode.IsDir() != c.dirsOnly {
		return false
	}
	for _, d := range c.dirs {
		if e.Path == d || strings.HasPrefix(e.Path, d+"/") {
			return true
		}
	}
	return false
}

// withDB returns a copy whose bad decides with the account database (owner
// names); the copy keeps concurrent evaluations apart.
func (c *fsSystemPathsCheck) withDB(db *accounts.DB) *fsListCheck {
	lc := c.fsListCheck
	lc.bad = func(e fswalk.Entry) bool {
		if !c.in(e) {
			return false
		}
		if !c.ownership {
			return e.Mode&0o022 != 0
		}
		return c.badOwner(db, e) || c.badGroup(e)
	}
	return &lc
}

func (c *fsSystemPathsCheck) badOwner(db *accounts.DB, e fswalk.Entry) bool {
	return !matchesID(c.owner, db.UserName(e.UID), e.UID)
}

func (c *fsSystemPathsCheck) badGroup(e fswalk.Entry) bool { return e.GID > c.maxGID }

func (c *fsSystemPathsCheck) Evaluate(_ context.Context, f *facts.Store) check.Outcome {
	db, _ := accounts.Get(f)
	return c.withDB(db).evaluate(f)
}

// Remediate removes group and other write permission, or gives the
// entries the first allowed owner and, where the group is not a system
// group, group root. A setuid or setgid program is left for a person:
// chown(2) clears those bits, which would break it.
func (c *fsSystemPathsCheck) Remediate(ctx context.Context, f *facts.Store, ch *remedy.Changes) error {
	if !c.ownership {
		db, _ := accounts.Get(f)
		return c.withDB(db).remediate(f, ch, func(e fswalk.Entry, m fs.FileMode) (fs.FileMode, string) {
			return m &^ 0o022, "remove group and other write permission from " + target.Abs(e.Path)
		})
	}
	db, err := accounts.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("read accounts: %w", err)
	}
	lc := c.withDB(db)
	fw, err := lc.scope.walk(f)
	if err != nil {
		return fmt.Errorf("filesystem walk: %w", err)
	}
	l := lc.pick(fw)
	offenders, _ := lc.offenders(l)
	uid, ok := lookupUser(db, c.owner)
	if !ok && len(offenders) > 0 {
		ch.Defer("change the owner of the "+c.what, "none of "+orList(c.owner)+" is a user in the target's /etc/passwd")
		return nil
	}
	for _, e := range offenders {
		fi, err := ch.Lstat(e.Path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("stat %s: %w", e.Path, err)
		}
		if fi.Mode.Type() != e.Mode.Type() {
			continue
		}
		if fi.Mode&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
			ch.Defer("change the ownership of "+e.Path, "it is a setuid/setgid program and chown clears those bits; reinstall its package or set owner, group and mode together by hand")
			continue
		}
		newUID, newGID := fi.UID, fi.GID
		var what []string
		if !matchesID(c.owner, db.UserName(fi.UID), fi.UID) {
			newUID = uid
			what = append(what, "owner "+db.UserName(uid))
		}
		if fi.GID > c.maxGID {
			newGID = 0
			what = append(what, "group "+db.GroupName(0))
		}
		if len(what) == 0 {
			continue
		}
		if err := ch.Chown(e.Path, newUID, newGID, fmt.Sprintf("set %s of %s", strings.Join(what, " and "), e.Path)); err != nil {
			return err
		}
		ch.Effect(remedy.Effect{Kind: remedy.EffectPermissions, Subject: e.Path})
	}
	if l.Truncated() {
		ch.Defer(fmt.Sprintf("fix the %s beyond the first %d", c.what, len(l.Entries)),
			fmt.Sprintf("the walk keeps %d of %d candidates; apply this plan and run the fix again for the rest", len(l.Entries), l.Total))
	}
	return nil
}
