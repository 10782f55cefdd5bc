package checks

import (
	"context"
	"fmt"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/collect/fswalk"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
)

// The filesystem-wide templates share one walk per scan (package fswalk)
// that skips /proc, /sys, /dev, /run, other systems' trees (container and
// machine stores, directories holding a root filesystem of their own) and,
// on a live host, pseudo, tmpfs and network mounts.

// maxFSEvidence bounds the offending paths listed in one result.
const maxFSEvidence = 25

// pathPatterns are absolute path globs (path.Match syntax); "/dir/**"
// matches everything below /dir.
type pathPatterns []string

func newPathPatterns(n *yaml.Node, field string, pats []string) (pathPatterns, error) {
	for _, p := range pats {
		if !strings.HasPrefix(p, "/") {
			return nil, check.ArgErrorf(n, "%s: %q is not an absolute path", field, p)
		}
		if _, err := path.Match(strings.TrimSuffix(p, "/**"), ""); err != nil {
			return nil, check.ArgErrorf(n, "%s: bad pattern %q: %v", field, p, err)
		}
	}
	return pathPatterns(pats), nil
}

func (ps pathPatterns) match(p string) bool {
	for _, pat := range ps {
		if dir, ok := strings.CutSuffix(pat, "/**"); ok {
			if strings.HasPrefix(p, dir+"/") {
				return true
			}
			continue
		}
		if ok, _ := path.Match(pat, p); ok {
			return true
		}
	}
	return false
}

// fsListCheck is what the three templates have in common: pick a list of
// the walk, decide per entry, report.
type fsListCheck struct {
	what     string // "world-writable regular files"
	expected string
	pick     func(*fswalk.Facts) *fswalk.List
	bad      func(fswalk.Entry) bool
	exclude  pathPatterns
	scope    fsScope
	fixable  bool
	// passed describes a pass over total candidates; nil for the default.
	passed func(total int) string
}

func (c *fsListCheck) Fixable() bool { return c.fixable }

// offenders are the kept entries of l that fail the check, in path
// order; left counts the entries left out under each of the rule's
// other_system_trees.
func (c *fsListCheck) offenders(l *fswalk.List) (bad []fswalk.Entry, left map[string]int) {
	for _, e := range l.Entries {
		if tree, ok := c.scope.treeOf(e.Path); ok {
			if left == nil {
				left = map[string]int{}
			}
			left[tree]++
			continue
		}
		if c.exclude.match(e.Path) || (c.bad != nil && !c.bad(e)) {
			continue
		}
		bad = append(bad, e)
	}
	return bad, left
}

func (c *fsListCheck) evaluate(f *facts.Store) check.Outcome {
	fw, err := c.scope.walk(f)
	if err != nil {
		return check.FromErr("filesystem walk", err)
	}
	l := c.pick(fw)
	db, _ := accounts.Get(f)
	var ev []result.Evidence
	offenders, left := c.offenders(l)
	bad := len(offenders)
	for _, e := range offenders[:min(bad, maxFSEvidence)] {
		ev = append(ev, result.Evidence{Expected: c.expected, Observed: describeEntry(db, e), File: e.Path})
	}
	unlisted := l.Total - len(l.Entries)
	scope := fmt.Sprintf("%d entries walked; not entered: %s and pseudo, tmpfs and network mounts", fw.Entries, strings.Join(fw.Skipped, ", "))
	scope += c.scope.note(fw, left)
	if fw.UnreadableTotal > 0 {
		scope += fmt.Sprintf("; %d paths unreadable (first: %s: %s)", fw.UnreadableTotal, fw.Unreadable[0].Path, fw.Unreadable[0].Err)
	}
	if bad > 0 {
		summary := fmt.Sprintf("%s: %d", c.what, bad)
		if bad > maxFSEvidence {
			summary += fmt.Sprintf(" (first %d listed)", maxFSEvidence)
		}
		if unlisted > 0 {
			summary += fmt.Sprintf(", and %d more candidates beyond the kept %d paths", unlisted, len(l.Entries))
		}
		ev = append(ev, result.Evidence{Expected: c.expected, Observed: summary, Note: scope})
		return check.Fail(ev...)
	}
	if unlisted > 0 {
		return check.Errorf("%d candidates found, more than the %d paths kept: the rest cannot be evaluated", l.Total, len(l.Entries))
	}
	if fw.UnreadableTotal > 0 {
		return check.Errorf("%d paths could not be read (first: %s: %s); run as root for a complete walk", fw.UnreadableTotal, fw.Unreadable[0].Path, fw.Unreadable[0].Err)
	}
	obs := fmt.Sprintf("no %s", c.what)
	switch {
	case c.passed != nil:
		obs = c.passed(l.Total)
	case l.Total > 0:
		obs = fmt.Sprintf("no %s outside the exclusions (%d excluded)", c.what, l.Total)
	}
	return check.Pass(result.Evidence{Expected: c.expected, Observed: obs, Note: scope})
}

func describeEntry(db *accounts.DB, e fswalk.Entry) string {
	kind := "file"
	if e.Mode.IsDir() {
		kind = "directory"
	}
	return fmt.Sprintf("%s mode %04o, owner %s, group %s", kind, PermBits(e.Mode), db.UserName(e.UID), db.GroupName(e.GID))
}

// fsWorldWritableTemplate finds world-writable regular files, or
// world-writable directories without the sticky bit, anywhere on the
// target:
//
//	fs_world_writable: {kind: files, exclude: [/var/lib/app/**]}
//	fs_world_writable: {kind: dirs_without_sticky}
type fsWorldWritableTemplate struct{}

type fsWorldWritableArgs struct {
	Kind    string   `yaml:"kind"` // files or dirs_without_sticky
	Exclude []string `yaml:"exclude"`
	// Other systems' trees (fswide_scope.go).
	SkipNestedRoots  *bool    `yaml:"skip_nested_roots"`
	OtherSystemTrees []string `yaml:"other_system_trees"`
}

type fsWorldWritableCheck struct{ fsListCheck }

func (fsWorldWritableTemplate) Name() string { return "fs_world_writable" }

func (fsWorldWritableTemplate) New(n *yaml.Node) (check.Check, error) {
	var a fsWorldWritableArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	ex, err := newPathPatterns(n, "exclude", a.Exclude)
	if err != nil {
		return nil, err
	}
	sc, err := newFSScope(n, a.SkipNestedRoots, a.OtherSystemTrees)
	if err != nil {
		return nil, err
	}
	c := &fsWorldWritableCheck{fsListCheck{exclude: ex, scope: sc, fixable: true}}
	switch a.Kind {
	case "files":
		c.what, c.expected = "world-writable regular files", "no regular file writable by others"
		c.pick = func(f *fswalk.Facts) *fswalk.List { return &f.WorldWritableFiles }
	case "dirs_without_sticky":
		c.what, c.expected = "world-writable directories without the sticky bit", "world-writable directories have the sticky bit"
		c.pick = func(f *fswalk.Facts) *fswalk.List { return &f.WorldWritableDirs }
	default:
		return nil, check.ArgErrorf(n, "kind must be files or dirs_without_sticky")
	}
	return c, nil
}

func (c *fsWorldWritableCheck) Evaluate(_ context.Context, f *facts.Store) check.Outcome {
	return c.evaluate(f)
}

// fsUnownedTemplate finds files whose owner or group is in neither
// /etc/passwd nor /etc/group of the target:
//
//	fs_unowned: {exclude: [/home/**]}
type fsUnownedTemplate struct{}

type fsUnownedArgs struct {
	Exclude []string `yaml:"exclude"`
	// Other systems' trees (fswide_scope.go).
	SkipNestedRoots  *bool    `yaml:"skip_nested_roots"`
	OtherSystemTrees []string `yaml:"other_system_trees"`
}

type fsUnownedCheck struct{ fsListCheck }

func (fsUnownedTemplate) Name() string { return "fs_unowned" }

func (fsUnownedTemplate) New(n *yaml.Node) (check.Check, error) {
	var a fsUnownedArgs
	if n != nil && n.Kind == yaml.ScalarNode && n.Value == "" {
		n = nil // "fs_unowned: {}" or a bare key
	}
	if n != nil {
		if err := check.Decode(n, &a); err != nil {
			return nil, err
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
	return &fsUnownedCheck{fsListCheck{
		what: "files with an unknown owner or group", expected: "owner in /etc/passwd, group in /etc/group",
		pick:    func(f *fswalk.Facts) *fswalk.List { return &f.Unowned },
		exclude: ex,
		scope:   sc,
	}}, nil
}

func (c *fsUnownedCheck) Evaluate(_ context.Context, f *facts.Store) check.Outcome {
	fw, err := c.scope.walk(f)
	if err != nil {
		return check.FromErr("filesystem walk", err)
	}
	switch {
	case fw.NoAccounts:
		return check.NotApplicable("the target has no account database (/etc/passwd)")
	case fw.AccountsError != "":
		return check.Errorf("%s", fw.AccountsError)
	}
	return c.evaluate(f)
}

// fsSUIDTemplate inventories setuid and setgid regular files: each must
// match an allowed path, and (forbid_writable) none may be writable by its
// group or others:
//
//	fs_suid: {allowed: [/usr/bin/su, /usr/lib/openssh/ssh-keysign]}
//	fs_suid: {forbid_writable: true}
type fsSUIDTemplate struct{}

type fsSUIDArgs struct {
	Allowed        []string `yaml:"allowed"`
	ForbidWritable bool     `yaml:"forbid_writable"`
	// Other systems' trees (fswide_scope.go).
	SkipNestedRoots  *bool    `yaml:"skip_nested_roots"`
	OtherSystemTrees []string `yaml:"other_system_trees"`
}

type fsSUIDCheck struct{ fsListCheck }

func (fsSUIDTemplate) Name() string { return "fs_suid" }

func (fsSUIDTemplate) New(n *yaml.Node) (check.Check, error) {
	var a fsSUIDArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if a.Allowed == nil && !a.ForbidWritable {
		return nil, check.ArgErrorf(n, "set allowed, forbid_writable or both")
	}
	allowed, err := newPathPatterns(n, "allowed", a.Allowed)
	if err != nil {
		return nil, err
	}
	sc, err := newFSScope(n, a.SkipNestedRoots, a.OtherSystemTrees)
	if err != nil {
		return nil, err
	}
	c := &fsSUIDCheck{fsListCheck{
		pick:    func(f *fswalk.Facts) *fswalk.List { return &f.SetID },
		scope:   sc,
		fixable: true,
	}}
	var exp []string
	if a.Allowed != nil {
		exp = append(exp, "setuid/setgid only on allowed paths")
	}
	if a.ForbidWritable {
		exp = append(exp, "setuid/setgid files not writable by group or others")
	}
	c.expected = strings.Join(exp, ", ")
	switch {
	case a.Allowed != nil && a.ForbidWritable:
		c.what = "setuid/setgid files off the allow-list or writable by group or others"
	case a.Allowed != nil:
		c.what = "setuid/setgid files off the allow-list"
	default:
		c.what = "setuid/setgid files writable by group or others"
	}
	c.passed = func(total int) string {
		return fmt.Sprintf("setuid/setgid files: %d, none of them %s", total, strings.TrimPrefix(c.what, "setuid/setgid files "))
	}
	c.bad = func(e fswalk.Entry) bool {
		if a.Allowed != nil && !allowed.match(e.Path) {
			return true
		}
		return a.ForbidWritable && e.Mode&0o022 != 0
	}
	return c, nil
}

func (c *fsSUIDCheck) Evaluate(_ context.Context, f *facts.Store) check.Outcome {
	return c.evaluate(f)
}
