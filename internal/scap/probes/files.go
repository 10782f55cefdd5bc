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
	"unsafe"

	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target"
)

// fileRef is one file an object designates: Dir is absolute ("/etc"),
// Name the base name, or "" when the object names the directory itself
// (filename xsi:nil).
type fileRef struct {
	Dir, Name string
	// info is what a walk kept of the entry's lstat (type, mode, owner).
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
	// names is the name arena, in chunks of nameChunk bytes that never
	// move; a name never spans two chunks.
	names   [][]byte
	once    sync.Once
	done    bool // set under fileCache.mu once the walk is complete
	base    string
	baseIdx int // index of base's own entry, -1 if none
	ents    entries
	// lists counts the directory listings: each directory entry's list
	// field numbers its own, and the entries listed in it have it as dir.
	lists int32
	// The child index: the entries listed in directory listing d are
	// kids[kidAt[d]:kidAt[d+1]], in walk order (one int32 per entry).
	kids  []int32
	kidAt []int32
	err   error
}

// children returns the indices of the entries listed in listing d (none
// for d < 0).
func (w *walkResult) children(d int32) []int32 {
	if d < 0 || int(d)+1 >= len(w.kidAt) {
		return nil
	}
	return w.kids[w.kidAt[d]:w.kidAt[d+1]]
}

// dirOf returns the listing of the root-relative directory path rel, -1
// when the walk has none.
func (w *walkResult) dirOf(rel string) int32 {
	if i := w.find(rel); i >= 0 {
		return w.ents.at(i).list
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
// not scan them. The name lives in the walk's name arena; the tree is
// the listing numbers (no path is kept: paths are built for the entries
// an object keeps). Only what searches select and filter on is kept (type,
// mode, owner): size and times are read again for the files an object
// keeps or a filter asks about, a few among a million.
type entry struct {
	dir  int32  // listing the entry is in, -1 for the walk's root
	list int32  // a directory's own listing, -1 for other entries
	noff uint32 // name: chunk noff>>nameBits, from noff&(nameChunk-1)
	nlen uint16
	mode uint16 // packed: see packMode
	uid  uint32
	gid  uint32 // 24 bytes in all
}

const (
	nameBits  = 20
	nameChunk = 1 << nameBits
)

// Packed modes: permission and special bits as in unix st_mode, the type
// in the top four bits.
const (
	ptRegular = iota
	ptDir
	ptSymlink
	ptCharDev
	ptBlockDev
	ptFIFO
	ptSocket
	ptIrregular
)

func packMode(m fs.FileMode) uint16 {
	v := uint16(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	t := ptRegular
	switch {
	case m.IsDir():
		t = ptDir
	case m&fs.ModeSymlink != 0:
		t = ptSymlink
	case m&fs.ModeDevice != 0 && m&fs.ModeCharDevice != 0:
		t = ptCharDev
	case m&fs.ModeDevice != 0:
		t = ptBlockDev
	case m&fs.ModeNamedPipe != 0:
		t = ptFIFO
	case m&fs.ModeSocket != 0:
		t = ptSocket
	case m&fs.ModeType != 0:
		t = ptIrregular
	}
	return v | uint16(t)<<12
}

func (e *entry) fmode() fs.FileMode {
	m := fs.FileMode(e.mode & 0o777)
	if e.mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if e.mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if e.mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	switch e.mode >> 12 {
	case ptDir:
		m |= fs.ModeDir
	case ptSymlink:
		m |= fs.ModeSymlink
	case ptCharDev:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case ptBlockDev:
		m |= fs.ModeDevice
	case ptFIFO:
		m |= fs.ModeNamedPipe
	case ptSocket:
		m |= fs.ModeSocket
	case ptIrregular:
		m |= fs.ModeIrregular
	}
	return m
}

func (e *entry) isDir() bool { return e.mode>>12 == ptDir }

// fileInfo is what the walk kept of e: mode and owner only.
func (e *entry) fileInfo() target.FileInfo {
	return target.FileInfo{Mode: e.fmode(), UID: e.uid, GID: e.gid}
}

// name is e's base name ("" for the root); the string shares the arena.
func (w *walkResult) name(e *entry) string {
	if e.nlen == 0 {
		return ""
	}
	b := w.names[e.noff>>nameBits][e.noff&(nameChunk-1):][:e.nlen]
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// addListing appends the entries of one listing (the walk serialises
// calls) and numbers the listings of the directories among them.
func (w *walkResult) addListing(parent int32, ents []target.ListEntry) error {
	for k := range ents {
		le := &ents[k]
		if w.ents.n >= maxWalkEntries {
			return fmt.Errorf("walk of %s: more than %d entries", target.Abs(w.base), maxWalkEntries)
		}
		fi := &le.Info
		e := entry{dir: parent, list: -1, mode: packMode(fi.Mode), uid: fi.UID, gid: fi.GID}
		if e.isDir() {
			e.list = w.lists
			le.Tag = w.lists
			w.lists++
		}
		if n := len(le.Name); n > 0 && n <= 0xffff {
			last := len(w.names) - 1
			if last < 0 || len(w.names[last])+n > nameChunk {
				if last+1 >= 1<<(32-nameBits) {
					return fmt.Errorf("walk of %s: more than %d MiB of names", target.Abs(w.base), 1<<(32-nameBits))
				}
				w.names = append(w.names, make([]byte, 0, nameChunk))
				last++
			}
			e.noff, e.nlen = uint32(last)<<nameBits|uint32(len(w.names[last])), uint16(n)
			w.names[last] = append(w.names[last], le.Name...)
		}
		w.ents.add(e)
	}
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

// index builds the child index (a counting sort of the entries by
// listing, keeping walk order within a listing) and finds base's own
// entry.
func (w *walkResult) index() {
	w.kidAt = make([]int32, w.lists+1)
	for i := 0; i < w.ents.n; i++ {
		if d := w.ents.at(i).dir; d >= 0 {
			w.kidAt[d+1]++
		}
	}
	for d := 1; d < len(w.kidAt); d++ {
		w.kidAt[d] += w.kidAt[d-1]
	}
	w.kids = make([]int32, w.kidAt[w.lists])
	next := slices.Clone(w.kidAt[:w.lists])
	for i := 0; i < w.ents.n; i++ {
		if d := w.ents.at(i).dir; d >= 0 {
			w.kids[next[d]] = int32(i)
			next[d]++
		}
	}
	w.baseIdx = w.lookup(w.base)
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

// find returns the index of root-relative path rel's own entry in w, or
// -1; lookup searches from the walk's root (its first entry), one listing
// per component.
func (w *walkResult) find(rel string) int {
	if rel == w.base {
		return w.baseIdx
	}
	return w.lookup(rel)
}

func (w *walkResult) lookup(rel string) int {
	if w.ents.n == 0 {
		return -1
	}
	i := 0
	for rel != "" {
		name, rest, _ := strings.Cut(rel, "/")
		next := -1
		for _, k := range w.children(w.ents.at(i).list) {
			if w.name(w.ents.at(int(k))) == name {
				next = int(k)
				break
			}
		}
		if next < 0 {
			return -1
		}
		i, rel = next, rest
	}
	return i
}

// each visits rel's own entry (dir "", name "", depth 0) and the entries
// below it down to maxDepth levels (-1: all). dir is the path of the
// entry's parent relative to rel, name its base name: callers join them
// only for the entries they keep (a walk of / has over a million).
func (w *walkResult) each(rel string, maxDepth int, fn func(i int, e *entry, dir, name string, depth int) error) error {
	bi := w.find(rel)
	if bi < 0 {
		return nil
	}
	if err := fn(bi, w.ents.at(bi), "", "", 0); err != nil {
		return err
	}
	var visit func(dir int32, sub string, depth int) error
	visit = func(dir int32, sub string, depth int) error {
		for _, i := range w.children(dir) {
			e := w.ents.at(int(i))
			n := w.name(e)
			if err := fn(int(i), e, sub, n, depth+1); err != nil {
				return err
			}
			if e.isDir() && (maxDepth < 0 || depth+1 < maxDepth) {
				if err := visit(e.list, joinSub(sub, n), depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return visit(w.ents.at(bi).list, "", 0)
}

// joinSub joins a relative directory path and a name.
func joinSub(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func within(rel, base string) bool {
	return base == "" || rel == base || strings.HasPrefix(rel, base+"/")
}

func walkSubtree(ctx context.Context, t target.Target, base string, local bool, w *walkResult) error {
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
	// Entries outside base (the siblings of its ancestors) are kept too:
	// they are few, and find reaches base through them.
	return target.WalkListings(ctx, t, opts, w.addListing)
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
	// Directories are visited as they are found: a search of / designates
	// every directory of the host, and no list of them is kept.
	return c.resolveDirs(ctx, t, pe, obj, func(d dirRef) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if fe == nil || fe.Nil {
			return visit(fileRef{Dir: d.abs, info: d.info()})
		}
		return filesIn(t, d, fe, visit)
	})
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
		err = w.each(rel, -1, func(_ int, e *entry, dir, name string, _ int) error {
			if name == "" && rel == "" {
				return nil // the root itself is no file to match
			}
			abs := path.Join(base, joinSub(dir, name))
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
	list int32 // its listing in w, -1 when none
}

func (d dirRef) info() *entry {
	if d.w != nil && d.idx >= 0 {
		return d.w.ents.at(d.idx)
	}
	return nil
}

// resolveDirs visits the directories the path entity selects, then the
// recursion the behaviors ask for (recurse_direction down/up, max_depth).
func (c *fileCache) resolveDirs(ctx context.Context, t target.Target, pe *oval.ObjectEntity, obj *oval.Object, visit func(dirRef) error) error {
	maxDepth, err := strconv.Atoi(obj.Behavior("max_depth", "-1"))
	if err != nil {
		return fmt.Errorf("%s_object %s: max_depth %q: %w", obj.Type, obj.ID, obj.Behavior("max_depth", ""), err)
	}
	var bases []dirRef
	if vals, ok := literalValues(pe); ok {
		for _, v := range vals {
			if ok, err := pe.Match(v); err != nil || !ok {
				if err != nil {
					return err
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
				return err
			}
			err = w.each(rel, -1, func(i int, e *entry, dir, name string, _ int) error {
				if !e.isDir() {
					return nil
				}
				abs := path.Join(b, joinSub(dir, name))
				ok, err := pe.Match(abs)
				if err != nil || !ok {
					return err
				}
				bases = append(bases, dirRef{abs: abs, w: w, idx: i, list: e.list})
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	switch obj.Behavior("recurse_direction", "none") {
	case "down":
		if maxDepth == 0 {
			break
		}
		local := obj.Behavior("recurse_file_system", "all") != "all"
		follow := strings.Contains(obj.Behavior("recurse", "symlinks and directories"), "symlinks")
		once := visit
		if len(bases) > 1 {
			// Bases may nest: each directory once.
			seen := map[string]bool{}
			once = func(d dirRef) error {
				if seen[d.abs] {
					return nil
				}
				seen[d.abs] = true
				return visit(d)
			}
		}
		for _, b := range bases {
			if err := c.below(ctx, t, b.abs, maxDepth, local, follow, once); err != nil {
				return err
			}
		}
		return nil
	case "up":
		seen := map[string]bool{}
		for _, b := range bases {
			for d, n := b.abs, 0; ; n++ {
				if !seen[d] {
					seen[d] = true
					if err := visit(dirRef{abs: d, idx: -1}); err != nil {
						return err
					}
				}
				if d == "/" || (maxDepth >= 0 && n >= maxDepth) {
					break
				}
				d = path.Dir(d)
			}
		}
		return nil
	}
	for _, b := range bases {
		if err := visit(b); err != nil {
			return err
		}
	}
	return nil
}

// below visits abs and the directories under it down to maxDepth levels
// (-1: all), with their listings. Symlinks to directories count when
// follow is set (recurse="symlinks and directories"); their own content is
// listed, not recursed into.
func (c *fileCache) below(ctx context.Context, t target.Target, abs string, maxDepth int, local, follow bool, visit func(dirRef) error) error {
	rel, ok := realDir(t, abs)
	if !ok {
		return nil
	}
	w, err := c.subtree(ctx, t, rel, local)
	if err != nil {
		return err
	}
	return w.each(rel, maxDepth, func(i int, e *entry, dir, name string, _ int) error {
		switch {
		case name == "":
			return visit(dirRef{abs: abs, w: w, idx: i, list: e.list})
		case e.isDir():
			return visit(dirRef{abs: path.Join(abs, joinSub(dir, name)), w: w, idx: i, list: e.list})
		case follow && e.mode>>12 == ptSymlink:
			p := path.Join(abs, joinSub(dir, name))
			if _, ok := realDir(t, p); ok {
				return visit(dirRef{abs: p, idx: -1})
			}
		}
		return nil
	})
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
