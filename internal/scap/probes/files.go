package probes

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

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
	names   [][]byte         // name arena, in chunks that never move
	dirs    []string         // parent paths, root-relative
	dirIdx  map[string]int32 // parent path → index in dirs
	once    sync.Once
	done    bool // set under fileCache.mu once the walk is complete
	base    string
	baseIdx int // index of base's own entry, -1 if none
	ents    entries
	// The child index: the entries whose parent is dirs[d] are
	// kids[kidAt[d]:kidAt[d+1]], in walk order (one int32 per entry, where
	// a map of slices cost about four times as much on a host's /).
	kids  []int32
	kidAt []int32
	err   error
}

// children returns the indices of the entries whose parent is dirs[d]
// (none for d < 0).
func (w *walkResult) children(d int32) []int32 {
	if d < 0 || int(d)+1 >= len(w.kidAt) {
		return nil
	}
	return w.kids[w.kidAt[d]:w.kidAt[d+1]]
}

// dirOf returns the index in dirs of the root-relative directory path
// rel, -1 when no entry has it as parent.
func (w *walkResult) dirOf(rel string) int32 {
	if d, ok := w.dirIdx[rel]; ok {
		return d
	}
	return -1
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

// entry is one walked name, kept compact and free of pointers: a walk of
// a host's / holds over a million of them, and the garbage collector need
// not scan them. The name lives in the walk's name arena, the parent path
// in its directory table.
type entry struct {
	dir          int32  // index in walkResult.dirs
	noff         uint32 // name: walkResult.names[nchunk][noff:noff+nlen]
	mode         fs.FileMode
	uid, gid     uint32
	nchunk, nlen uint16 // 48 bytes in all, no padding
	size         int64
	mtime, ctime int64 // Unix seconds; ctime 0 when unknown
}

const nameChunk = 1 << 20

func (e *entry) fileInfo() target.FileInfo {
	fi := target.FileInfo{Mode: e.mode, UID: e.uid, GID: e.gid, Size: e.size, ModTime: time.Unix(e.mtime, 0)}
	if e.ctime != 0 {
		fi.ChangeTime = time.Unix(e.ctime, 0)
	}
	return fi
}

// name is e's base name ("" for the root); the string shares the arena.
func (w *walkResult) name(e *entry) string {
	if e.nlen == 0 {
		return ""
	}
	b := w.names[e.nchunk][e.noff : e.noff+uint32(e.nlen)]
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// path is e's root-relative path.
func (w *walkResult) path(e *entry) string {
	d, n := w.dirs[e.dir], w.name(e)
	switch {
	case n == "":
		return d
	case d == "":
		return n
	}
	return d + "/" + n
}

// add appends one walked entry (the caller serialises calls).
func (w *walkResult) add(fi target.FileInfo) error {
	d, name := path.Split(fi.Path)
	d = strings.TrimSuffix(d, "/")
	di, ok := w.dirIdx[d]
	if !ok {
		d = strings.Clone(d)
		di = int32(len(w.dirs))
		w.dirs = append(w.dirs, d)
		w.dirIdx[d] = di
	}
	e := entry{dir: di, mode: fi.Mode, uid: fi.UID, gid: fi.GID, size: fi.Size, mtime: fi.ModTime.Unix()}
	if !fi.ChangeTime.IsZero() {
		e.ctime = fi.ChangeTime.Unix()
	}
	if n := len(name); n > 0 && n <= 0xffff {
		last := len(w.names) - 1
		if last < 0 || len(w.names[last])+n > cap(w.names[last]) {
			if last+1 > 0xffff {
				return fmt.Errorf("more than %d MiB of names", 0xffff*nameChunk>>20)
			}
			w.names = append(w.names, make([]byte, 0, max(nameChunk, n)))
			last++
		}
		e.nchunk, e.noff, e.nlen = uint16(last), uint32(len(w.names[last])), uint16(n)
		w.names[last] = append(w.names[last], name...)
	}
	w.ents.add(e)
	return nil
}

// fileCache shares subtree walks between the objects of one evaluation:
// real content asks for the same trees (/, /usr/lib, /var/log/audit) many
// times with different filters. A walk that already covers a subtree (an
// ancestor's, with compatible mount rules) serves it: a host's / is walked
// once however many objects search below it.
type fileCache struct {
	mu       sync.Mutex
	walks    map[walkKey]*walkResult
	nonLocal map[target.Target][]string // live targets: root-relative points of non-local mounts
}

func newFileCache() *fileCache { return &fileCache{walks: map[walkKey]*walkResult{}} }

// maxWalkEntries bounds what one subtree walk keeps in memory.
const maxWalkEntries = 5_000_000

// subtree returns a walk holding every entry below base (root-relative,
// base itself included), without following symlinks; it may hold more
// (an ancestor's walk): use each to visit base's part. local keeps a live
// walk on local filesystems (recurse_file_system="local").
func (c *fileCache) subtree(ctx context.Context, t target.Target, base string, local bool) (*walkResult, error) {
	k := walkKey{t, base, local && t.Live()}
	c.mu.Lock()
	w, ok := c.walks[k]
	if !ok {
		if a := c.covering(k); a != nil {
			c.mu.Unlock()
			return a, nil
		}
		w = &walkResult{base: base, baseIdx: -1}
		c.walks[k] = w
	}
	c.mu.Unlock()
	w.once.Do(func() {
		w.err = walkSubtree(ctx, t, base, k.local, w)
		w.index()
		c.mu.Lock()
		w.done = true
		c.mu.Unlock()
	})
	return w, w.err
}

// index finds base's own entry and builds the child index (a counting
// sort of the entries by parent, keeping walk order within a parent).
func (w *walkResult) index() {
	w.kidAt = make([]int32, len(w.dirs)+1)
	for i := 0; i < w.ents.n; i++ {
		e := w.ents.at(i)
		if w.entryIs(e, w.base) {
			w.baseIdx = i
			continue
		}
		w.kidAt[e.dir+1]++
	}
	for d := 1; d < len(w.kidAt); d++ {
		w.kidAt[d] += w.kidAt[d-1]
	}
	w.kids = make([]int32, w.kidAt[len(w.dirs)])
	next := slices.Clone(w.kidAt[:len(w.dirs)])
	for i := 0; i < w.ents.n; i++ {
		if i == w.baseIdx {
			continue
		}
		d := w.ents.at(i).dir
		w.kids[next[d]] = int32(i)
		next[d]++
	}
}

// covering returns a finished walk of an ancestor of k.base (or of
// k.base itself) whose entries are exactly those k would collect below
// k.base, or nil. Called with c.mu held.
func (c *fileCache) covering(k walkKey) *walkResult {
	for wk, w := range c.walks {
		if !w.done || w.err != nil || wk.t != k.t || !within(k.base, wk.base) {
			continue
		}
		// A local walk skips non-local mounts, a full walk enters them:
		// either serves the other only where no such mount is involved.
		if wk.local != k.local && c.touchesNonLocal(k.t, k.base) {
			continue
		}
		if wk.local && k.local && c.insideNonLocal(k.t, k.base) {
			continue // a local walk started inside such a mount enters it
		}
		return w
	}
	return nil
}

// nonLocalMounts lists the non-local mount points of a live target.
func (c *fileCache) nonLocalMounts(t target.Target) []string {
	if !t.Live() {
		return nil
	}
	if c.nonLocal == nil {
		c.nonLocal = map[target.Target][]string{}
	}
	if m, ok := c.nonLocal[t]; ok {
		return m
	}
	var pts []string
	if b, err := target.ReadFileLimit(t, "/proc/self/mountinfo", 4<<20); err == nil {
		for _, m := range target.ParseMountInfo(b) {
			if target.NonLocalFS(m.FSType) {
				pts = append(pts, target.Clean(m.Point))
			}
		}
	} else {
		pts = []string{""} // unknown: treat every path as involved
	}
	c.nonLocal[t] = pts
	return pts
}

func (c *fileCache) touchesNonLocal(t target.Target, base string) bool {
	for _, m := range c.nonLocalMounts(t) {
		if within(m, base) || within(base, m) {
			return true
		}
	}
	return false
}

func (c *fileCache) insideNonLocal(t target.Target, base string) bool {
	for _, m := range c.nonLocalMounts(t) {
		if within(base, m) {
			return true
		}
	}
	return false
}

// entryIs reports whether e is the entry of root-relative path rel.
func (w *walkResult) entryIs(e *entry, rel string) bool {
	if e.nlen == 0 {
		return w.dirs[e.dir] == rel
	}
	d, n := "", rel
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		d, n = rel[:i], rel[i+1:]
	}
	return w.name(e) == n && w.dirs[e.dir] == d
}

// find returns the index of rel's own entry in w, or -1.
func (w *walkResult) find(rel string) int {
	if rel == w.base {
		return w.baseIdx
	}
	d, n := "", rel
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		d, n = rel[:i], rel[i+1:]
	}
	for _, i := range w.children(w.dirOf(d)) {
		if w.name(w.ents.at(int(i))) == n {
			return int(i)
		}
	}
	return -1
}

// each visits rel's own entry (sub "", depth 0) and the entries below it
// down to maxDepth levels (-1: all); sub is the path relative to rel.
func (w *walkResult) each(rel string, maxDepth int, fn func(i int, e *entry, sub string, depth int) error) error {
	bi := w.find(rel)
	if bi < 0 {
		return nil
	}
	if err := fn(bi, w.ents.at(bi), "", 0); err != nil {
		return err
	}
	var visit func(dir int32, sub string, depth int) error
	visit = func(dir int32, sub string, depth int) error {
		for _, i := range w.children(dir) {
			e := w.ents.at(int(i))
			s := w.name(e)
			if sub != "" {
				s = sub + "/" + s
			}
			if err := fn(int(i), e, s, depth+1); err != nil {
				return err
			}
			if e.mode.IsDir() && (maxDepth < 0 || depth+1 < maxDepth) {
				if err := visit(w.dirOf(w.path(e)), s, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return visit(w.dirOf(rel), "", 0)
}

func within(rel, base string) bool {
	return base == "" || rel == base || strings.HasPrefix(rel, base+"/")
}

func walkSubtree(ctx context.Context, t target.Target, base string, local bool, w *walkResult) error {
	var mu sync.Mutex
	w.dirIdx = map[string]int32{}
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
	return t.Walk(ctx, opts, func(fi target.FileInfo) error {
		if !within(fi.Path, base) {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if w.ents.n >= maxWalkEntries {
			return fmt.Errorf("walk of %s: more than %d entries", target.Abs(base), maxWalkEntries)
		}
		return w.add(fi)
	})
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

// maxPrefixes bounds the alternatives literalPrefixes expands.
const maxPrefixes = 64

// literalPrefixes returns strings one of which starts every match of path
// pattern p: "^/etc/audit/rules\.d/.*\.rules$" → "/etc/audit/rules.d/",
// "^\/(|s)bin|^\/usr\/libexec" → "/bin", "/sbin", "/usr/libexec". Top-level
// alternatives and groups of plain alternatives are expanded; an
// unanchored pattern gives "".
func literalPrefixes(p string) []string {
	alts := splitTop(p)
	var out []string
	for _, a := range alts {
		if !strings.HasPrefix(a, "^") {
			return []string{""}
		}
		out = append(out, altPrefixes(a[1:])...)
		if len(out) > maxPrefixes {
			return []string{""}
		}
	}
	return out
}

// splitTop splits p at the alternation bars outside groups and classes.
func splitTop(p string) []string {
	var out []string
	depth, class, start := 0, false, 0
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			i++
		case class:
			class = c != ']'
		case c == '[':
			class = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}

// literalRun reads the literal characters at the start of s (escaped
// punctuation included) and returns them and how many bytes they took.
func literalRun(s string) (string, int) {
	var b strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '\\' && i+1 < len(s) && strings.IndexByte("./-_ ", s[i+1]) >= 0 {
			b.WriteByte(s[i+1])
			i += 2
			continue
		}
		if strings.IndexByte(".*+?()[]{}|^$\\", c) >= 0 {
			break
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), i
}

// altPrefixes is literalPrefixes for one alternative without its "^".
func altPrefixes(a string) []string {
	pre := []string{""}
	for a != "" {
		lit, n := literalRun(a)
		a = a[n:]
		if a != "" && strings.IndexByte("*?{", a[0]) >= 0 && lit != "" {
			lit = lit[:len(lit)-1] // the quantified character is optional
			a = ""
		}
		for i := range pre {
			pre[i] += lit
		}
		if a == "" || a[0] != '(' {
			break
		}
		// A group of plain alternatives, not quantified: expand it.
		end := strings.IndexByte(a, ')')
		if end < 0 || (end+1 < len(a) && strings.IndexByte("*?{+", a[end+1]) >= 0) {
			break
		}
		var opts []string
		for _, o := range strings.Split(a[1:end], "|") {
			l, n := literalRun(o)
			if n != len(o) {
				return pre
			}
			opts = append(opts, l)
		}
		if len(pre)*len(opts) > maxPrefixes {
			break
		}
		var next []string
		for _, p := range pre {
			for _, o := range opts {
				next = append(next, p+o)
			}
		}
		pre = next
		a = a[end+1:]
	}
	return pre
}

// searchBases returns where paths satisfying e can be: directories to
// walk and single entries. For each literal prefix that is the directory it
// names, or else the entries of its parent that start with its last part
// ("/usr/lib" → the walks of /usr/lib, /usr/lib64, /usr/libexec; a file or
// symlink among them is a single entry, as the walk of the parent would
// have reported it without descending); "/" when the pattern fixes nothing.
func searchBases(t target.Target, e *oval.ObjectEntity) (bases, singles []string) {
	if e.Operation != oval.PatternMatch {
		return []string{"/"}, nil
	}
	seen := map[string]bool{}
	add := func(list *[]string, d string) {
		if !seen[d] {
			seen[d] = true
			*list = append(*list, d)
		}
	}
	for _, v := range e.Values {
		for _, p := range literalPrefixes(v) {
			if !strings.HasPrefix(p, "/") {
				add(&bases, "/")
				continue
			}
			i := strings.LastIndexByte(p, '/')
			dir, rest := path.Clean(p[:i+1]), p[i+1:]
			if rest == "" {
				add(&bases, dir)
				continue
			}
			rd, ok := realDir(t, dir)
			if !ok {
				continue
			}
			ents, err := t.ReadDir(rd)
			if err != nil {
				add(&bases, dir)
				continue
			}
			for _, de := range ents {
				if !strings.HasPrefix(de.Name, rest) {
					continue
				}
				sub := path.Join(dir, de.Name)
				if fi, err := t.Lstat(sub); err == nil && fi.Mode.IsDir() {
					add(&bases, sub)
				} else {
					add(&singles, sub)
				}
			}
		}
	}
	return bases, singles
}

// resolveFiles visits the files (or directories) a file-like object
// designates: filepath, or path + filename with the recursion behaviors.
// Only names are resolved here; visit stats or reads them. Nothing is
// accumulated: a search of / visits every file once.
func (c *fileCache) resolveFiles(ctx context.Context, t target.Target, obj *oval.Object, visit func(fileRef) error) error {
	if fp := obj.Entity("filepath"); fp != nil {
		return c.resolveFilepath(ctx, t, fp, visit)
	}
	pe, fe := obj.Entity("path"), obj.Entity("filename")
	if pe == nil {
		return fmt.Errorf("%s_object %s: neither filepath nor path", obj.Type, obj.ID)
	}
	dirs, err := c.resolveDirs(ctx, t, pe, obj)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if fe == nil || fe.Nil {
			if err := visit(fileRef{Dir: d.abs, info: d.info()}); err != nil {
				return err
			}
			continue
		}
		if err := filesIn(t, d, fe, visit); err != nil {
			return err
		}
	}
	return nil
}

func (c *fileCache) resolveFilepath(ctx context.Context, t target.Target, fp *oval.ObjectEntity, visit func(fileRef) error) error {
	if vals, ok := literalValues(fp); ok {
		for _, v := range vals {
			if !path.IsAbs(v) {
				continue
			}
			if ok, err := fp.Match(v); err != nil || !ok {
				if err != nil {
					return err
				}
				continue
			}
			if _, err := t.Lstat(v); err == nil {
				if err := visit(fileRef{Dir: path.Dir(path.Clean(v)), Name: path.Base(path.Clean(v))}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	bases, singles := searchBases(t, fp)
	for _, v := range singles {
		ok, err := fp.Match(v)
		if err != nil {
			return err
		}
		if _, serr := t.Lstat(v); ok && serr == nil {
			if err := visit(fileRef{Dir: path.Dir(v), Name: path.Base(v)}); err != nil {
				return err
			}
		}
	}
	for _, base := range bases {
		rel, ok := realDir(t, base)
		if !ok {
			continue
		}
		w, err := c.subtree(ctx, t, rel, false)
		if err != nil {
			return err
		}
		err = w.each(rel, -1, func(_ int, e *entry, sub string, _ int) error {
			if sub == "" && rel == "" {
				return nil // the root itself is no file to match
			}
			abs := path.Join(base, sub)
			ok, err := fp.Match(abs)
			if err != nil || !ok {
				return err
			}
			return visit(fileRef{Dir: path.Dir(abs), Name: path.Base(abs), info: e})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// dirRef is a directory an object designates; w and rel locate its
// listing in a walk when one covered it.
type dirRef struct {
	abs  string
	w    *walkResult
	idx  int   // index of the directory's own entry in w.ents, -1 if none
	list int32 // its listing: index in w.dirs, -1 when empty
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
		// Single entries are not directories: only the walks matter.
		dirs, _ := searchBases(t, pe)
		for _, b := range dirs {
			rel, ok := realDir(t, b)
			if !ok {
				continue
			}
			w, err := c.subtree(ctx, t, rel, false)
			if err != nil {
				return nil, err
			}
			err = w.each(rel, -1, func(i int, e *entry, sub string, _ int) error {
				if !e.mode.IsDir() {
					return nil
				}
				abs := path.Join(b, sub)
				ok, err := pe.Match(abs)
				if err != nil || !ok {
					return err
				}
				bases = append(bases, dirRef{abs: abs, w: w, idx: i, list: w.dirOf(w.path(e))})
				return nil
			})
			if err != nil {
				return nil, err
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
	err = w.each(rel, maxDepth, func(i int, e *entry, sub string, _ int) error {
		switch {
		case sub == "":
			out = append(out, dirRef{abs: abs, w: w, idx: i, list: w.dirOf(rel)})
		case e.mode.IsDir():
			out = append(out, dirRef{abs: path.Join(abs, sub), w: w, idx: i, list: w.dirOf(w.path(e))})
		case follow && e.mode&fs.ModeSymlink != 0:
			p := path.Join(abs, sub)
			if _, ok := realDir(t, p); ok {
				out = append(out, dirRef{abs: p, idx: -1})
			}
		}
		return nil
	})
	return out, err
}

// filesIn visits the names in directory d that the filename entity selects.
func filesIn(t target.Target, d dirRef, fe *oval.ObjectEntity, visit func(fileRef) error) error {
	if vals, ok := literalValues(fe); ok && d.w == nil {
		for _, v := range vals {
			if v == "" || strings.Contains(v, "/") {
				continue
			}
			if ok, err := fe.Match(v); err != nil || !ok {
				if err != nil {
					return err
				}
				continue
			}
			if _, err := t.Lstat(path.Join(d.abs, v)); err == nil {
				if err := visit(fileRef{Dir: d.abs, Name: v}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if d.w != nil {
		for _, i := range d.w.children(d.list) {
			e := d.w.ents.at(int(i))
			name := d.w.name(e)
			ok, err := fe.Match(name)
			if err != nil {
				return err
			}
			if ok {
				if err := visit(fileRef{Dir: d.abs, Name: name, info: e}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	ents, err := t.ReadDir(d.abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return nil
		}
		return fmt.Errorf("list %s: %w", d.abs, err)
	}
	for _, e := range ents {
		ok, err := fe.Match(e.Name)
		if err != nil {
			return err
		}
		if ok {
			if err := visit(fileRef{Dir: d.abs, Name: e.Name}); err != nil {
				return err
			}
		}
	}
	return nil
}
