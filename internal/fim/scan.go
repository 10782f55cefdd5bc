package fim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// Options tune a walk.
type Options struct {
	// Workers hash files in parallel; <= 0 uses one per core.
	Workers int
	// Previous, when set, lends its digests to files whose type, size,
	// mtime, ctime and inode are unchanged, so only those are read.
	Previous map[string]*Entry
	// Lender, when set, is used instead of Previous (DB.Lender).
	Lender Lender
	// Full re-hashes every file regardless of Previous.
	Full bool
	// OneFileSystem keeps the walk on the filesystem of every selected
	// path, as one_file_system does for one selection.
	OneFileSystem bool
	// MaxRate bounds the bytes read for hashing per second, across all
	// workers; <= 0 is unlimited.
	MaxRate int64
	// Progress, when set, receives the running counts about four times
	// a second from one goroutine, and once more at the end.
	Progress func(Progress)
}

// Progress is a walk's running count.
type Progress struct {
	Entries int64 // recorded
	Hashed  int64 // files read
	Bytes   int64 // bytes read
}

// progressEvery is how often Options.Progress is called.
const progressEvery = 250 * time.Millisecond

// Problem is a path that could not be recorded completely; the walk goes
// on.
type Problem struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// Snapshot is the result of a walk: entries sorted by path.
type Snapshot struct {
	Entries  []*Entry
	Problems []Problem
	// Hashed files were read, Reused took their digests from Previous;
	// Bytes is what was read.
	Hashed, Reused int
	Bytes          int64
}

// walker is the shared state of one Walk.
type walker struct {
	t     target.Target
	p     *Policy
	o     Options
	op    *target.BulkOpener
	lim   *limiter
	names *names
	image bool
	links *Links // selections named through symlinks (selinks.go)
	// shared lends a hard-linked file's digests to its other names.
	shared sharedDigests

	mu                             sync.Mutex
	snap                           *Snapshot
	slab                           []Entry // under mu (newEntry)
	slabs                          int     // slabs allocated, under mu
	chunk                          []byte  // holds entries' paths, under mu (keepPath)
	chunks                         int     // chunks allocated, under mu
	entries, hashed, reused, bytes atomic.Int64
	noXattrs                       sync.Once

	// One filesystem: the device of each selection's root, and the
	// directories on another device that the walk has met (mount points
	// and, on the way to a nested selection, what lies below them).
	devMu   sync.Mutex
	rootDev map[string]uint64
	crossed sync.Map
}

func (w *walker) problem(path string, err error) {
	w.mu.Lock()
	w.snap.Problems = append(w.snap.Problems, Problem{Path: path, Error: err.Error()})
	w.mu.Unlock()
}

// Walk records every path the policy selects in t. Special files are
// never opened; unreadable entries become Problems; only cancellation
// and failure of the walk itself are errors.
func Walk(ctx context.Context, t target.Target, p *Policy, o Options) (*Snapshot, error) {
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	op, err := target.OpenBulk(t)
	if err != nil {
		return nil, fmt.Errorf("fim walk: %w", err)
	}
	defer op.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &walker{t: t, p: p, o: o, op: op, lim: newLimiter(o.MaxRate, bufSize), image: t.Kind() == target.KindImage,
		snap: &Snapshot{}, rootDev: map[string]uint64{}}
	if p.wantsNames() {
		w.names = loadNames(t)
	}
	if x, ok := o.Lender.(*walkIndex); ok {
		// As many entries as last time, give or take.
		w.snap.Entries = bigSlice[*Entry](0, x.expect+x.expect/16, true)
	}
	w.useLinks()
	jobs := make(chan job, workers*4)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hs := &hasher{}
			for j := range jobs {
				share := shareable(j.e, w.image)
				if share && w.shared.lend(j.dev, j.e) {
					if j.f != nil {
						j.f.Close()
					}
					w.hashed.Add(1)
					continue
				}
				err := hs.hashFile(ctx, op, j.rel, j.f, j.e, w.lim, &w.bytes)
				w.hashed.Add(1)
				if err != nil && ctx.Err() == nil {
					j.e.SHA256, j.e.SHA512, j.e.BLAKE3, j.e.Error = "", "", "", err.Error()
					w.problem(j.e.Path, err)
				} else if err == nil && share {
					w.shared.keep(j.dev, j.e)
				}
			}
		}()
	}
	stopProgress := w.progress()
	wopts := target.WalkOptions{
		LocalOnly: true,
		OnError:   func(path string, err error) error { w.problem(path, err); return nil },
		Prune: func(dir string, _ target.DirProbe) string {
			abs := "/" + dir
			if !p.Enter(abs) && !w.links.Enter(abs) {
				return "not selected"
			}
			if _, ok := w.crossed.Load(dir); ok && !p.selectsBelow(abs) {
				return "another filesystem"
			}
			return ""
		},
	}
	visit := func(fi target.FileInfo, f target.BulkFile) error {
		defer func() {
			if f != nil {
				f.Close() // not hashed
			}
		}()
		e := w.record(fi)
		for _, abs := range w.links.aliases(fi) {
			if err := queue(ctx, jobs, e, fi, &f); err != nil {
				return err
			}
			e = w.recordAs(fi, abs)
		}
		return queue(ctx, jobs, e, fi, &f)
	}
	if op.Direct() && (o.Full || (o.Lender == nil && o.Previous == nil)) {
		// Every selected regular file is read: the walk opens it where
		// it lists it (WalkOptions.Regular), instead of a stat there and
		// an open by path from the root here. Only for the directory
		// target itself: a target wrapping one walks and opens its own way.
		wopts.Regular = visit
	}
	walkErr := t.Walk(ctx, wopts, func(fi target.FileInfo) error { return visit(fi, nil) })
	close(jobs)
	wg.Wait()
	stopProgress()
	if walkErr != nil {
		return nil, fmt.Errorf("fim walk: %w", walkErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	snap := w.snap
	sort.Slice(snap.Entries, func(i, j int) bool { return snap.Entries[i].Path < snap.Entries[j].Path })
	sort.Slice(snap.Problems, func(i, j int) bool { return snap.Problems[i].Path < snap.Problems[j].Path })
	snap.Hashed, snap.Reused, snap.Bytes = int(w.hashed.Load()), int(w.reused.Load()), w.bytes.Load()
	return snap, nil
}

// progress calls Options.Progress until the returned stop is called,
// then once more with the final counts.
func (w *walker) progress() (stop func()) {
	if w.o.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	report := func() {
		w.o.Progress(Progress{Entries: w.entries.Load(), Hashed: w.hashed.Load(), Bytes: w.bytes.Load()})
	}
	go func() {
		defer close(finished)
		tk := time.NewTicker(progressEvery)
		defer tk.Stop()
		for {
			select {
			case <-tk.C:
				report()
			case <-done:
				report()
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

// record makes the entry of fi when the policy selects it, and returns
// it when its content must be hashed.
func (w *walker) record(fi target.FileInfo) *Entry { return w.recordAs(fi, w.keepPath(fi.Path)) }

// keepPath returns "/"+rel carved from a block of paths: one allocation
// for thousands of entries. The blocks double from pathChunk bytes to
// pathChunk<<maxChunkShift (8 MiB, huge pages).
func (w *walker) keepPath(rel string) string {
	n := len(rel) + 1
	if n > pathChunk/4 {
		return "/" + rel
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if n > cap(w.chunk)-len(w.chunk) {
		w.chunk = bigSlice[byte](0, pathChunk<<min(w.chunks, maxChunkShift), false)
		w.chunks++
	}
	i := len(w.chunk)
	w.chunk = append(w.chunk, '/')
	w.chunk = append(w.chunk, rel...)
	// The block's bytes up to its length are never written again.
	return unsafe.String(&w.chunk[i], n)
}

const (
	pathChunk     = 32 << 10
	maxChunkShift = 8
)

// recordAs is record with fi named abs.
func (w *walker) recordAs(fi target.FileInfo, abs string) *Entry {
	sel := w.p.For(abs)
	if sel == nil || !w.sameFS(fi, abs, sel) {
		return nil
	}
	e := w.newEntry()
	fillEntry(e, abs, fi)
	if w.image {
		e.Inode = 0 // numbered by the index, not stable across images
	}
	if e.Type == TypeSymlink && sel.Has(AttrTarget) {
		l, err := w.op.Readlink(fi.Path)
		if err != nil {
			e.Error = err.Error()
			w.problem(abs, err)
		}
		e.Target = l
	}
	w.names.fill(e, sel)
	if sel.extended() {
		w.extended(e, fi.Path, sel)
	}
	if e.Type != TypeFile || !(sel.Has(AttrSHA256) || sel.Has(AttrSHA512) || sel.Has(AttrBLAKE3)) {
		return nil
	}
	// Images have neither ctime nor stable inodes to vouch for unchanged
	// content: always hashed.
	if !w.o.Full && !sel.Full && !w.image && w.lend(e, sel) {
		w.reused.Add(1)
		return nil
	}
	if sel.Has(AttrSHA256) {
		e.SHA256 = "-"
	}
	if sel.Has(AttrSHA512) {
		e.SHA512 = "-"
	}
	if sel.Has(AttrBLAKE3) {
		e.BLAKE3 = "-"
	}
	return e
}

// newEntry returns a zero entry, already in the snapshot (read only
// once the walk is over). Entries come from slabs: one allocation, and
// one object for the collector, per slab instead of per entry; every
// entry lives until the walk's end anyway. Slabs double from entrySlab
// to maxEntrySlab entries, large enough for huge pages (bigSlice).
func (w *walker) newEntry() *Entry {
	w.entries.Add(1)
	w.mu.Lock()
	if len(w.slab) == 0 {
		w.slab = bigSlice[Entry](entrySlab<<min(w.slabs, maxSlabShift), entrySlab<<min(w.slabs, maxSlabShift), true)
		w.slabs++
	}
	e := &w.slab[0]
	w.slab = w.slab[1:]
	if n := len(w.snap.Entries); n == cap(w.snap.Entries) {
		// Grown as append would, in memory that can be huge pages.
		grown := bigSlice[*Entry](n, max(2*n, entrySlab), true)
		copy(grown, w.snap.Entries)
		w.snap.Entries = grown
	}
	w.snap.Entries = append(w.snap.Entries, e)
	w.mu.Unlock()
	return e
}

// entrySlab is how many entries the first slab holds; the slabs after
// it double up to entrySlab<<maxSlabShift (7.3 MiB).
const (
	entrySlab    = 256
	maxSlabShift = 7
)

// lend takes e's digests from the previous walk (Options).
func (w *walker) lend(e *Entry, sel *Selection) bool {
	if w.o.Lender != nil {
		return w.o.Lender.Lend(e, sel)
	}
	return reuse(e, w.o.Previous[e.Path], sel)
}

// extended reads e's extended attributes. A target that cannot read
// them leaves them unknown (nil), with one problem for the whole walk.
func (w *walker) extended(e *Entry, rel string, sel *Selection) {
	m, err := w.op.Xattrs(rel)
	switch {
	case errors.Is(err, target.ErrNotSupported):
		w.noXattrs.Do(func() {
			w.problem("/", fmt.Errorf("extended attributes, ACLs and SELinux labels are recorded as unknown: %w", err))
		})
	case errors.Is(err, fs.ErrNotExist):
		// Vanished since the walk saw it.
	case err != nil:
		w.problem(e.Path, err)
	default:
		extAttrs(e, m, sel)
	}
}

// sameFS reports whether fi is to be recorded under a one-filesystem
// selection: on the device of the selection's root, or the first entry
// met on another device (a mount point, recorded but not entered).
func (w *walker) sameFS(fi target.FileInfo, abs string, sel *Selection) bool {
	if !w.o.OneFileSystem && !sel.OneFileSystem {
		return true
	}
	w.devMu.Lock()
	dev, ok := w.rootDev[sel.Path]
	if !ok && abs == sel.Path {
		w.rootDev[sel.Path] = fi.Dev
	}
	w.devMu.Unlock()
	if !ok || fi.Dev == dev {
		return true
	}
	_, below := w.crossed.Load(parentRel(fi.Path))
	if fi.Mode.IsDir() {
		w.crossed.Store(fi.Path, true)
	}
	return !below
}

func parentRel(rel string) string {
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		return rel[:i]
	}
	return ""
}

type job struct {
	e   *Entry
	rel string
	dev uint64          // the file's device (sharedDigests)
	f   target.BulkFile // the file the walk opened, or nil
}

// fillEntry sets e's path and metadata from fi.
func fillEntry(e *Entry, abs string, fi target.FileInfo) {
	*e = Entry{Path: abs, Type: typeOf(fi.Mode), Mode: remedy.ModeToUnix(fi.Mode), UID: fi.UID, GID: fi.GID,
		Mtime: fi.ModTime.UnixNano(), Inode: fi.Ino, Links: fi.Nlink}
	if !fi.ChangeTime.IsZero() {
		e.Ctime = fi.ChangeTime.UnixNano()
	}
	if e.Type == TypeFile || e.Type == TypeSymlink {
		e.Size = fi.Size
	}
}

// reuse copies prev's digests into e when the file is unchanged as far
// as its metadata tells and prev has every digest sel wants.
func reuse(e, prev *Entry, sel *Selection) bool {
	if prev == nil || prev.Unstable || prev.Error != "" || !statSame(e, prev) {
		return false
	}
	if (sel.Has(AttrSHA256) && prev.SHA256 == "") || (sel.Has(AttrSHA512) && prev.SHA512 == "") ||
		(sel.Has(AttrBLAKE3) && prev.BLAKE3 == "") {
		return false
	}
	if sel.Has(AttrSHA256) {
		e.SHA256 = prev.SHA256
	}
	if sel.Has(AttrSHA512) {
		e.SHA512 = prev.SHA512
	}
	if sel.Has(AttrBLAKE3) {
		e.BLAKE3 = prev.BLAKE3
	}
	return true
}
