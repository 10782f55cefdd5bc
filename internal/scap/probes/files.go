package probes

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target"
)

// fileRef is one file an object designates: Dir is absolute ("/etc"),
// Name the base name, or "" when the object names the directory itself
// (filename xsi:nil).
type fileRef struct {
	Dir, Name string
}

func (r fileRef) abs() string {
	if r.Name == "" {
		return r.Dir
	}
	return path.Join(r.Dir, r.Name)
}

// walkEntry is one name found by a subtree walk.
type walkEntry struct {
	rel string // root-relative
	typ fs.FileMode
}

type walkKey struct {
	t     target.Target
	base  string
	local bool
}

type walkResult struct {
	once sync.Once
	ents []walkEntry
	err  error
}

// fileCache shares subtree walks between the objects of one evaluation:
// real content asks for the same trees (/, /usr/lib, /var/log/audit) many
// times with different filters.
type fileCache struct {
	mu    sync.Mutex
	walks map[walkKey]*walkResult
}

func newFileCache() *fileCache { return &fileCache{walks: map[walkKey]*walkResult{}} }

// maxWalkEntries bounds what one subtree walk keeps in memory.
const maxWalkEntries = 5_000_000

// subtree lists every entry below base (root-relative, base itself
// included), without following symlinks. local keeps a live walk on local
// filesystems (recurse_file_system="local").
func (c *fileCache) subtree(ctx context.Context, t target.Target, base string, local bool) ([]walkEntry, error) {
	k := walkKey{t, base, local && t.Live()}
	c.mu.Lock()
	w, ok := c.walks[k]
	if !ok {
		w = &walkResult{}
		c.walks[k] = w
	}
	c.mu.Unlock()
	w.once.Do(func() { w.ents, w.err = walkSubtree(ctx, t, base, k.local) })
	return w.ents, w.err
}

func within(rel, base string) bool {
	return base == "" || rel == base || strings.HasPrefix(rel, base+"/")
}

func walkSubtree(ctx context.Context, t target.Target, base string, local bool) ([]walkEntry, error) {
	var mu sync.Mutex
	var ents []walkEntry
	opts := target.WalkOptions{
		LocalOnly: local,
		OnError:   func(string, error) error { return nil },
		Prune: func(dir string, _ target.DirProbe) string {
			if within(dir, base) || strings.HasPrefix(base, dir+"/") {
				return ""
			}
			return "outside the object's path"
		},
	}
	err := t.Walk(ctx, opts, func(fi target.FileInfo) error {
		if !within(fi.Path, base) {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if len(ents) >= maxWalkEntries {
			return fmt.Errorf("walk of %s: more than %d entries", target.Abs(base), maxWalkEntries)
		}
		ents = append(ents, walkEntry{rel: fi.Path, typ: fi.Mode.Type()})
		return nil
	})
	sort.Slice(ents, func(i, j int) bool { return ents[i].rel < ents[j].rel })
	return ents, err
}

// realDir resolves symlinks in a directory path inside the target
// ("/bin" → "usr/bin" on merged-/usr systems) so a walk can start there.
// It returns the root-relative path, or false when it is not a directory.
func realDir(t target.Target, abs string) (string, bool) {
	rel := target.Clean(abs)
	for i := 0; i < 16; i++ {
		fi, err := t.Lstat(rel)
		if err != nil {
			return "", false
		}
		if fi.Mode.IsDir() {
			return rel, true
		}
		if fi.Mode&fs.ModeSymlink == 0 {
			return "", false
		}
		l, err := t.Readlink(rel)
		if err != nil {
			return "", false
		}
		if path.IsAbs(l) {
			rel = target.Clean(l)
		} else {
			rel = target.Clean(path.Join(path.Dir(rel), l))
		}
	}
	return "", false
}

// regexDir is the longest directory every match of an anchored path
// pattern must lie in ("^/etc/audit/rules\.d/.*\.rules$" → "/etc/audit/rules.d"),
// so a search walks that subtree only; "/" when nothing is fixed.
func regexDir(p string) string {
	if !strings.HasPrefix(p, "^") || strings.Contains(p, "|") {
		return "/"
	}
	var b strings.Builder
	for i := 1; i < len(p); i++ {
		c := p[i]
		if c == '\\' && i+1 < len(p) && strings.IndexByte("./-_ ", p[i+1]) >= 0 {
			b.WriteByte(p[i+1])
			i++
			continue
		}
		if strings.IndexByte(".*+?()[]{}|^$\\", c) >= 0 {
			s := b.String()
			if strings.IndexByte("*?{", c) >= 0 && s != "" {
				s = s[:len(s)-1] // the quantified character is optional
			}
			b.Reset()
			b.WriteString(s)
			break
		}
		b.WriteByte(c)
	}
	s := b.String()
	i := strings.LastIndexByte(s, '/')
	if i <= 0 {
		return "/"
	}
	return path.Clean(s[:i])
}

// searchBases returns where to look for paths satisfying e: a walk from the
// common fixed directory of its patterns.
func searchBases(e *oval.ObjectEntity) []string {
	if e.Operation != oval.PatternMatch {
		return []string{"/"}
	}
	seen := map[string]bool{}
	var out []string
	for _, v := range e.Values {
		d := regexDir(v)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// resolveFiles lists the files (or directories) a file-like object
// designates: filepath, or path + filename with the recursion behaviors.
// Only names are resolved here; callers stat or read them.
func (c *fileCache) resolveFiles(ctx context.Context, t target.Target, obj *oval.Object) ([]fileRef, error) {
	if fp := obj.Entity("filepath"); fp != nil {
		return c.resolveFilepath(ctx, t, fp)
	}
	pe, fe := obj.Entity("path"), obj.Entity("filename")
	if pe == nil {
		return nil, fmt.Errorf("%s_object %s: neither filepath nor path", obj.Type, obj.ID)
	}
	dirs, err := c.resolveDirs(ctx, t, pe, obj)
	if err != nil {
		return nil, err
	}
	var out []fileRef
	for _, d := range dirs {
		if fe == nil || fe.Nil {
			out = append(out, fileRef{Dir: d})
			continue
		}
		refs, err := filesIn(t, d, fe)
		if err != nil {
			return nil, err
		}
		out = append(out, refs...)
	}
	return out, nil
}

func (c *fileCache) resolveFilepath(ctx context.Context, t target.Target, fp *oval.ObjectEntity) ([]fileRef, error) {
	var out []fileRef
	if vals, ok := literalValues(fp); ok {
		for _, v := range vals {
			if !path.IsAbs(v) {
				continue
			}
			if ok, err := fp.Match(v); err != nil || !ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			if _, err := t.Lstat(v); err == nil {
				out = append(out, fileRef{Dir: path.Dir(path.Clean(v)), Name: path.Base(path.Clean(v))})
			}
		}
		return out, nil
	}
	for _, base := range searchBases(fp) {
		rel, ok := realDir(t, base)
		if !ok {
			continue
		}
		ents, err := c.subtree(ctx, t, rel, false)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if e.rel == rel {
				continue
			}
			abs := path.Join(base, strings.TrimPrefix(strings.TrimPrefix(e.rel, rel), "/"))
			ok, err := fp.Match(abs)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, fileRef{Dir: path.Dir(abs), Name: path.Base(abs)})
			}
		}
	}
	return out, nil
}

// resolveDirs lists the directories the path entity selects, then the
// recursion the behaviors ask for (recurse_direction down/up, max_depth).
func (c *fileCache) resolveDirs(ctx context.Context, t target.Target, pe *oval.ObjectEntity, obj *oval.Object) ([]string, error) {
	var bases []string
	if vals, ok := literalValues(pe); ok {
		for _, v := range vals {
			if ok, err := pe.Match(v); err != nil || !ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			if _, ok := realDir(t, v); ok && path.IsAbs(v) {
				bases = append(bases, path.Clean(v))
			}
		}
	} else {
		for _, b := range searchBases(pe) {
			rel, ok := realDir(t, b)
			if !ok {
				continue
			}
			ents, err := c.subtree(ctx, t, rel, false)
			if err != nil {
				return nil, err
			}
			for _, e := range ents {
				if !e.typ.IsDir() {
					continue
				}
				abs := path.Join(b, strings.TrimPrefix(strings.TrimPrefix(e.rel, rel), "/"))
				ok, err := pe.Match(abs)
				if err != nil {
					return nil, err
				}
				if ok {
					bases = append(bases, abs)
				}
			}
		}
	}
	maxDepth, err := strconv.Atoi(obj.Behavior("max_depth", "-1"))
	if err != nil {
		return nil, fmt.Errorf("%s_object %s: max_depth %q: %w", obj.Type, obj.ID, obj.Behavior("max_depth", ""), err)
	}
	switch obj.Behavior("recurse_direction", "none") {
	case "down":
		if maxDepth == 0 {
			return bases, nil
		}
		local := obj.Behavior("recurse_file_system", "all") != "all"
		follow := strings.Contains(obj.Behavior("recurse", "symlinks and directories"), "symlinks")
		var out []string
		for _, b := range bases {
			out = append(out, b)
			more, err := c.below(ctx, t, b, maxDepth, local, follow)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
		}
		return dedupe(out), nil
	case "up":
		var out []string
		for _, b := range bases {
			for d, n := b, 0; ; n++ {
				out = append(out, d)
				if d == "/" || (maxDepth >= 0 && n >= maxDepth) {
					break
				}
				d = path.Dir(d)
			}
		}
		return dedupe(out), nil
	}
	return bases, nil
}

// below lists the directories under abs down to maxDepth levels (-1: all).
// Symlinks to directories are followed one level when follow is set
// (recurse="symlinks and directories"), as their targets' own subtrees.
func (c *fileCache) below(ctx context.Context, t target.Target, abs string, maxDepth int, local, follow bool) ([]string, error) {
	rel, ok := realDir(t, abs)
	if !ok {
		return nil, nil
	}
	ents, err := c.subtree(ctx, t, rel, local)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.rel == rel {
			continue
		}
		sub := strings.TrimPrefix(strings.TrimPrefix(e.rel, rel), "/")
		depth := strings.Count(sub, "/") + 1
		if maxDepth >= 0 && depth > maxDepth {
			continue
		}
		p := path.Join(abs, sub)
		switch {
		case e.typ.IsDir():
			out = append(out, p)
		case follow && e.typ&fs.ModeSymlink != 0:
			if _, ok := realDir(t, p); ok {
				out = append(out, p) // its content is listed, not recursed into
			}
		}
	}
	return out, nil
}

func dedupe(l []string) []string {
	seen := map[string]bool{}
	out := l[:0]
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// filesIn lists the names in directory dir that the filename entity
// selects.
func filesIn(t target.Target, dir string, fe *oval.ObjectEntity) ([]fileRef, error) {
	var out []fileRef
	if vals, ok := literalValues(fe); ok {
		for _, v := range vals {
			if v == "" || strings.Contains(v, "/") {
				continue
			}
			if ok, err := fe.Match(v); err != nil || !ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			if _, err := t.Lstat(path.Join(dir, v)); err == nil {
				out = append(out, fileRef{Dir: dir, Name: v})
			}
		}
		return out, nil
	}
	ents, err := t.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return nil, nil
		}
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	for _, e := range ents {
		ok, err := fe.Match(e.Name)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, fileRef{Dir: dir, Name: e.Name})
		}
	}
	return out, nil
}
