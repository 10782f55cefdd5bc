package probes

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target"
)

// fileRef is one file an object designates: Dir is absolute ("/etc"),
// Name the base name, or "" when the object names the directory itself
// (filename xsi:nil).
type fileRef struct {
	Dir, Name string
	// info is the entry's lstat, when a walk already has it.
	info *entry
}

func (r fileRef) abs() string {
	if r.Name == "" {
		return r.Dir
	}
	return path.Join(r.Dir, r.Name)
}

type walkKey struct {
	t     target.Target
	base  string
	local bool
}

type walkResult struct {
	once sync.Once
	ents entries
	kids map[string][]int32 // parent's root-relative path → indices in ents
	err  error
}

// entries is an append-only list in fixed-size chunks: growing it never
// copies (a doubling slice of a million entries would hold two copies).
type entries struct {
	chunks [][]entry
	n      int
}

const chunkBits = 12

func (l *entries) add(e entry) {
	if l.n&(1<<chunkBits-1) == 0 {
		l.chunks = append(l.chunks, make([]entry, 0, 1<<chunkBits))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, e)
	l.n++
}

func (l *entries) at(i int) *entry { return &l.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

// entry is one walked name, kept compact: a walk of a host's / holds
// about a million of them. dir strings are shared between siblings.
type entry struct {
	dir, name    string // root-relative parent ("" at the top) and base name
	mode         fs.FileMode
	uid, gid     uint32
	size         int64
	mtime, ctime int64 // Unix seconds; ctime 0 when unknown
}

// Path is the root-relative path.
func (e *entry) Path() string {
	switch {
	case e.name == "":
		return e.dir
	case e.dir == "":
		return e.name
	}
	return e.dir + "/" + e.name
}

func (e *entry) fileInfo() target.FileInfo {
	fi := target.FileInfo{Path: e.Path(), Mode: e.mode, UID: e.uid, GID: e.gid, Size: e.size, ModTime: time.Unix(e.mtime, 0)}
	if e.ctime != 0 {
		fi.ChangeTime = time.Unix(e.ctime, 0)
	}
	return fi
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
func (c *fileCache) subtree(ctx context.Context, t target.Target, base string, local bool) (*walkResult, error) {
	k := walkKey{t, base, local && t.Live()}
	c.mu.Lock()
	w, ok := c.walks[k]
	if !ok {
		w = &walkResult{}
		c.walks[k] = w
	}
	c.mu.Unlock()
	w.once.Do(func() {
		w.ents, w.err = walkSubtree(ctx, t, base, k.local)
		w.kids = map[string][]int32{}
		for i := 0; i < w.ents.n; i++ {
			if e := w.ents.at(i); e.Path() != base {
				w.kids[e.dir] = append(w.kids[e.dir], int32(i))
			}
		}
	})
	return w, w.err
}

func within(rel, base string) bool {
	return base == "" || rel == base || strings.HasPrefix(rel, base+"/")
}

func walkSubtree(ctx context.Context, t target.Target, base string, local bool) (entries, error) {
	var mu sync.Mutex
	var ents entries
	dirs := map[string]string{} // interned parent paths
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
		if ents.n >= maxWalkEntries {
			return fmt.Errorf("walk of %s: more than %d entries", target.Abs(base), maxWalkEntries)
		}
		d, name := path.Split(fi.Path)
		d = strings.TrimSuffix(d, "/")
		if in, ok := dirs[d]; ok {
			d = in
		} else {
			d = strings.Clone(d)
			dirs[d] = d
		}
		e := entry{dir: d, name: strings.Clone(name), mode: fi.Mode, uid: fi.UID, gid: fi.GID,
			size: fi.Size, mtime: fi.ModTime.Unix()}
		if !fi.ChangeTime.IsZero() {
			e.ctime = fi.ChangeTime.Unix()
		}
		ents.add(e)
		return nil
	})
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
			out = append(out, fileRef{Dir: d.abs, info: d.info()})
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
		w, err := c.subtree(ctx, t, rel, false)
		if err != nil {
			return nil, err
		}
		for i := 0; i < w.ents.n; i++ {
			e := w.ents.at(i)
			ep := e.Path()
			if ep == rel {
				continue
			}
			abs := path.Join(base, strings.TrimPrefix(strings.TrimPrefix(ep, rel), "/"))
			ok, err := fp.Match(abs)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, fileRef{Dir: path.Dir(abs), Name: path.Base(abs), info: e})
			}
		}
	}
	return out, nil
}

// dirRef is a directory an object designates; w and rel locate its
// listing in a walk when one covered it.
type dirRef struct {
	abs string
	w   *walkResult
	idx int // index of the directory's own entry in w.ents, -1 if none
	rel string
}

func (d dirRef) info() *entry {
	if d.w != nil && d.idx >= 0 {
		return d.w.ents.at(d.idx)
	}
	return nil
}

// resolveDirs lists the directories the path entity selects, then the
// recursion the behaviors ask for (recurse_direction down/up, max_depth).
func (c *fileCache) resolveDirs(ctx context.Context, t target.Target, pe *oval.ObjectEntity, obj *oval.Object) ([]dirRef, error) {
	var bases []dirRef
	if vals, ok := literalValues(pe); ok {
		for _, v := range vals {
			if ok, err := pe.Match(v); err != nil || !ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			if _, ok := realDir(t, v); ok && path.IsAbs(v) {
				bases = append(bases, dirRef{abs: path.Clean(v), idx: -1})
			}
		}
	} else {
		for _, b := range searchBases(pe) {
			rel, ok := realDir(t, b)
			if !ok {
				continue
			}
			w, err := c.subtree(ctx, t, rel, false)
			if err != nil {
				return nil, err
			}
			for i := 0; i < w.ents.n; i++ {
				e := w.ents.at(i)
				if !e.mode.IsDir() {
					continue
				}
				ep := e.Path()
				abs := path.Join(b, strings.TrimPrefix(strings.TrimPrefix(ep, rel), "/"))
				ok, err := pe.Match(abs)
				if err != nil {
					return nil, err
				}
				if ok {
					bases = append(bases, dirRef{abs: abs, w: w, idx: i, rel: ep})
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
		var out []dirRef
		seen := map[string]bool{}
		for _, b := range bases {
			more, err := c.below(ctx, t, b.abs, maxDepth, local, follow)
			if err != nil {
				return nil, err
			}
			for _, d := range more {
				if !seen[d.abs] {
					seen[d.abs] = true
					out = append(out, d)
				}
			}
		}
		return out, nil
	case "up":
		var out []dirRef
		seen := map[string]bool{}
		for _, b := range bases {
			for d, n := b.abs, 0; ; n++ {
				if !seen[d] {
					seen[d] = true
					out = append(out, dirRef{abs: d, idx: -1})
				}
				if d == "/" || (maxDepth >= 0 && n >= maxDepth) {
					break
				}
				d = path.Dir(d)
			}
		}
		return out, nil
	}
	return bases, nil
}

// below lists abs and the directories under it down to maxDepth levels
// (-1: all), with their listings. Symlinks to directories count when
// follow is set (recurse="symlinks and directories"); their own content is
// listed, not recursed into.
func (c *fileCache) below(ctx context.Context, t target.Target, abs string, maxDepth int, local, follow bool) ([]dirRef, error) {
	rel, ok := realDir(t, abs)
	if !ok {
		return nil, nil
	}
	w, err := c.subtree(ctx, t, rel, local)
	if err != nil {
		return nil, err
	}
	var out []dirRef
	for i := 0; i < w.ents.n; i++ {
		e := w.ents.at(i)
		if !e.mode.IsDir() && (!follow || e.mode&fs.ModeSymlink == 0) {
			continue
		}
		ep := e.Path()
		if ep == rel {
			out = append(out, dirRef{abs: abs, w: w, idx: i, rel: rel})
			continue
		}
		sub := strings.TrimPrefix(strings.TrimPrefix(ep, rel), "/")
		depth := strings.Count(sub, "/") + 1
		if maxDepth >= 0 && depth > maxDepth {
			continue
		}
		p := path.Join(abs, sub)
		switch {
		case e.mode.IsDir():
			out = append(out, dirRef{abs: p, w: w, idx: i, rel: ep})
		case follow && e.mode&fs.ModeSymlink != 0:
			if _, ok := realDir(t, p); ok {
				out = append(out, dirRef{abs: p, idx: -1})
			}
		}
	}
	return out, nil
}

// filesIn lists the names in directory d that the filename entity selects.
func filesIn(t target.Target, d dirRef, fe *oval.ObjectEntity) ([]fileRef, error) {
	var out []fileRef
	if vals, ok := literalValues(fe); ok && d.w == nil {
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
			if _, err := t.Lstat(path.Join(d.abs, v)); err == nil {
				out = append(out, fileRef{Dir: d.abs, Name: v})
			}
		}
		return out, nil
	}
	if d.w != nil {
		for _, i := range d.w.kids[d.rel] {
			e := d.w.ents.at(int(i))
			name := e.name
			ok, err := fe.Match(name)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, fileRef{Dir: d.abs, Name: name, info: e})
			}
		}
		return out, nil
	}
	ents, err := t.ReadDir(d.abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return nil, nil
		}
		return nil, fmt.Errorf("list %s: %w", d.abs, err)
	}
	for _, e := range ents {
		ok, err := fe.Match(e.Name)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, fileRef{Dir: d.abs, Name: e.Name})
		}
	}
	return out, nil
}
