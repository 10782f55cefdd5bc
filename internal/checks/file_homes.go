package checks

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/homes"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// homeFilesTemplate requires files to be absent from every account's home
// directory (homes from passwd, package homes) and, optionally, from
// absolute globs:
//
//	home_files: {names: [.rhosts, .shosts], fix: remove}
//	home_files: {names: [".ssh/id_*"], exclude: ["*.pub"], paths: [/etc/ssl/private/*], offline_only: true}
//
// A name may have several components (".ssh/authorized_keys*"); each is a
// path.Match pattern. A match that is a symlink to /dev/null holds nothing
// and does not count.
type homeFilesTemplate struct{}

type homeFilesArgs struct {
	Names   []string `yaml:"names"`
	Exclude []string `yaml:"exclude"` // base-name patterns left out
	Paths   []string `yaml:"paths"`   // absolute "dir/pattern" globs
	// OfflineOnly makes the rule not_applicable on a running host (the
	// rule is about what an image or root filesystem ships).
	OfflineOnly bool `yaml:"offline_only"`
	// Fix "remove" deletes the files; without it the rule has no native fix.
	Fix string `yaml:"fix"`
}

type homeFilesCheck struct{ a homeFilesArgs }

// maxHomeMatches bounds the matches one evaluation keeps.
const maxHomeMatches = 1000

func (homeFilesTemplate) Name() string { return "home_files" }

func (homeFilesTemplate) New(n *yaml.Node) (check.Check, error) {
	var a homeFilesArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if len(a.Names) == 0 {
		return nil, check.ArgErrorf(n, "names: at least one name is required")
	}
	for _, p := range a.Names {
		if p == "" || strings.HasPrefix(p, "/") || badRelPattern(p) {
			return nil, check.ArgErrorf(n, "names: %q is not a path relative to the home directory", p)
		}
		if _, err := path.Match(p, ""); err != nil {
			return nil, check.ArgErrorf(n, "names: bad pattern %q: %v", p, err)
		}
	}
	for _, p := range a.Exclude {
		if _, err := path.Match(p, ""); err != nil || strings.Contains(p, "/") {
			return nil, check.ArgErrorf(n, "exclude: %q is not a base-name pattern", p)
		}
	}
	for _, p := range a.Paths {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(path.Dir(p), "*?[") {
			return nil, check.ArgErrorf(n, "paths: %q is not an absolute /dir/pattern", p)
		}
		if _, err := path.Match(p, ""); err != nil {
			return nil, check.ArgErrorf(n, "paths: bad pattern %q: %v", p, err)
		}
	}
	if a.Fix != "" && a.Fix != "remove" {
		return nil, check.ArgErrorf(n, "fix must be remove or absent")
	}
	return &homeFilesCheck{a}, nil
}

func badRelPattern(p string) bool {
	for _, c := range strings.Split(p, "/") {
		if c == ".." || c == "." || c == "" {
			return true
		}
	}
	return false
}

func (c *homeFilesCheck) Fixable() bool { return c.a.Fix == "remove" }

// homeMatch is one file found.
type homeMatch struct {
	rel   string // root-relative path as found (below the home as passwd names it)
	owner string // whose home, for evidence; "" for an absolute path
}

// find lists the matches in t, in home then name order, with the homes
// looked in; it stops at maxHomeMatches.
func (c *homeFilesCheck) find(ctx context.Context, t target.Target, hs *homes.Facts) ([]homeMatch, int, error) {
	var out []homeMatch
	total := 0
	add := func(rel, owner string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if c.excluded(rel) || devNull(t, rel) {
			return nil
		}
		total++
		if len(out) < maxHomeMatches {
			out = append(out, homeMatch{rel, owner})
		}
		return nil
	}
	for _, h := range hs.Homes {
		for _, name := range c.a.Names {
			ms, err := globRel(t, target.Clean(h.Path), strings.Split(name, "/"))
			if err != nil {
				return nil, 0, fmt.Errorf("look in %s: %w", h.Path, err)
			}
			for _, m := range ms {
				if err := add(m, h.Describe()); err != nil {
					return nil, 0, err
				}
			}
		}
	}
	for _, p := range c.a.Paths {
		ms, err := target.Glob(t, path.Dir(p), path.Base(p))
		if err != nil {
			return nil, 0, fmt.Errorf("glob %s: %w", p, err)
		}
		for _, m := range ms {
			if err := add(m, ""); err != nil {
				return nil, 0, err
			}
		}
	}
	return out, total, nil
}

func (c *homeFilesCheck) excluded(rel string) bool {
	for _, x := range c.a.Exclude {
		if ok, _ := path.Match(x, path.Base(rel)); ok {
			return true
		}
	}
	return false
}

// devNull reports whether rel is a symlink that resolves to /dev/null
// (the usual way to keep a history file empty).
func devNull(t target.Target, rel string) bool {
	fi, err := t.Lstat(rel)
	if err != nil || fi.Mode&fs.ModeSymlink == 0 {
		return false
	}
	r, err := target.Resolve(t, rel, true)
	return err == nil && target.Clean(r) == "dev/null"
}

// globRel matches the pattern components below dir, one directory level
// per component.
func globRel(t target.Target, dir string, comps []string) ([]string, error) {
	ms, err := target.Glob(t, dir, comps[0])
	if err != nil || len(comps) == 1 {
		return ms, err
	}
	var out []string
	for _, m := range ms {
		if fi, err := t.Stat(m); err != nil || !fi.Mode.IsDir() {
			continue // not a directory to look into
		}
		sub, err := globRel(t, m, comps[1:])
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
	}
	return out, nil
}

func (c *homeFilesCheck) expected() string {
	exp := "no " + strings.Join(c.a.Names, ", ") + " in any home directory"
	if len(c.a.Paths) > 0 {
		exp += " and nothing matching " + strings.Join(c.a.Paths, ", ")
	}
	return exp
}

func (c *homeFilesCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	t := f.Target()
	if c.a.OfflineOnly && t.Live() {
		return check.NotApplicable("the rule is about what an image or root filesystem ships, not a running host")
	}
	hs, err := homes.Get(f)
	if err != nil {
		return check.FromErr("home directories", err)
	}
	if len(hs.Homes) == 0 && len(c.a.Paths) == 0 {
		return check.NotApplicable("no home directory to look in (%s)", homesNote(hs))
	}
	ms, total, err := c.find(ctx, t, hs)
	if err != nil {
		return check.FromErr("home directories", err)
	}
	exp := c.expected()
	note := homesNote(hs)
	if total == 0 {
		return check.Pass(result.Evidence{Expected: exp, Observed: fmt.Sprintf("none in %d home directories", len(hs.Homes)), Note: note})
	}
	var ev []result.Evidence
	for _, m := range ms[:min(len(ms), maxFSEvidence)] {
		obs := "present"
		if m.owner != "" {
			obs += " in the home of " + m.owner
		}
		ev = append(ev, result.Evidence{Expected: "absent", Observed: obs, File: target.Abs(m.rel)})
	}
	sum := fmt.Sprintf("%d files found", total)
	if total > maxFSEvidence {
		sum += fmt.Sprintf(" (first %d listed)", maxFSEvidence)
	}
	ev = append(ev, result.Evidence{Expected: exp, Observed: sum, Note: note})
	return check.Fail(ev...)
}

// homesNote lists the homes looked in and those set aside.
func homesNote(hs *homes.Facts) string {
	var b strings.Builder
	b.WriteString("homes from /etc/passwd and /home: ")
	for i, h := range hs.Homes[:min(len(hs.Homes), maxTreesListed)] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(h.Describe())
	}
	if n := len(hs.Homes) - maxTreesListed; n > 0 {
		fmt.Fprintf(&b, " and %d more", n)
	}
	if len(hs.Homes) == 0 {
		b.WriteString("none")
	}
	if len(hs.Skipped) > 0 {
		b.WriteString("; not looked in: ")
		for i, s := range hs.Skipped[:min(len(hs.Skipped), maxTreesListed)] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s (%s)", s.Path, s.Reason)
		}
		if n := len(hs.Skipped) - maxTreesListed; n > 0 {
			fmt.Fprintf(&b, " and %d more", n)
		}
	}
	if hs.Truncated > 0 {
		fmt.Fprintf(&b, "; %d homes beyond the first %d not looked in", hs.Truncated, homes.MaxHomes)
	}
	return b.String()
}

// Remediate removes the files found (a symlink itself, never what it
// points to); directories are left for a person to look at.
func (c *homeFilesCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	hs, err := homes.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("home directories: %w", err)
	}
	ms, total, err := c.find(ctx, ch.Overlay(), hs)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := removeFile(ch, m.rel); err != nil {
			return err
		}
	}
	if total > len(ms) {
		ch.Defer(fmt.Sprintf("remove the files beyond the first %d", len(ms)), "apply this plan and run the fix again for the rest")
	}
	return nil
}
