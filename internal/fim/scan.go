package fim

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"lukechampine.com/blake3"

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
	// Full re-hashes every file regardless of Previous.
	Full bool
}

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

// bufSize is the read size: large reads keep per-call overhead out of
// hashing throughput.
const bufSize = 1 << 20

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// maxAttempts bounds re-reads of a file that changes while hashed.
const maxAttempts = 3

// Walk records every path the policy selects in t. Special files are
// never opened; unreadable entries become Problems; only cancellation
// and failure of the walk itself are errors.
func Walk(ctx context.Context, t target.Target, p *Policy, o Options) (*Snapshot, error) {
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	image := t.Kind() == target.KindImage
	op, err := target.OpenBulk(t)
	if err != nil {
		return nil, fmt.Errorf("fim walk: %w", err)
	}
	defer op.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		snap     = &Snapshot{}
		hashed   atomic.Int64
		reused   atomic.Int64
		bytes    atomic.Int64
		jobs     = make(chan job, workers*4)
		wg       sync.WaitGroup
		problems = func(path string, err error) {
			mu.Lock()
			snap.Problems = append(snap.Problems, Problem{Path: path, Error: err.Error()})
			mu.Unlock()
		}
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				n, err := hashFile(op, j.rel, j.e)
				bytes.Add(n)
				hashed.Add(1)
				if err != nil {
					j.e.SHA256, j.e.SHA512, j.e.BLAKE3, j.e.Error = "", "", "", err.Error()
					problems(j.e.Path, err)
				}
			}
		}()
	}
	wopts := target.WalkOptions{
		LocalOnly: true,
		OnError:   func(path string, err error) error { problems(path, err); return nil },
		Prune: func(dir string, _ target.DirProbe) string {
			if !p.Enter("/" + dir) {
				return "not selected"
			}
			return ""
		},
	}
	walkErr := t.Walk(ctx, wopts, func(fi target.FileInfo) error {
		abs := "/" + fi.Path
		sel := p.For(abs)
		if sel == nil {
			return nil
		}
		e := entryOf(abs, fi)
		if image {
			e.Inode = 0 // numbered by the index, not stable across images
		}
		if e.Type == TypeSymlink && sel.Has(AttrTarget) {
			l, err := t.Readlink(fi.Path)
			if err != nil {
				e.Error = err.Error()
				problems(abs, err)
			}
			e.Target = l
		}
		wantHash := e.Type == TypeFile && (sel.Has(AttrSHA256) || sel.Has(AttrSHA512) || sel.Has(AttrBLAKE3))
		mu.Lock()
		snap.Entries = append(snap.Entries, e)
		mu.Unlock()
		if !wantHash {
			return nil
		}
		// Images have neither ctime nor stable inodes to vouch for
		// unchanged content: always hashed.
		if !o.Full && !sel.Full && !image && reuse(e, o.Previous[abs], sel) {
			reused.Add(1)
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
		select {
		case jobs <- job{e, fi.Path}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(jobs)
	wg.Wait()
	if walkErr != nil {
		return nil, fmt.Errorf("fim walk: %w", walkErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sort.Slice(snap.Entries, func(i, j int) bool { return snap.Entries[i].Path < snap.Entries[j].Path })
	sort.Slice(snap.Problems, func(i, j int) bool { return snap.Problems[i].Path < snap.Problems[j].Path })
	snap.Hashed, snap.Reused, snap.Bytes = int(hashed.Load()), int(reused.Load()), bytes.Load()
	return snap, nil
}

type job struct {
	e   *Entry
	rel string
}

func entryOf(abs string, fi target.FileInfo) *Entry {
	e := &Entry{Path: abs, Type: typeOf(fi.Mode), Mode: remedy.ModeToUnix(fi.Mode), UID: fi.UID, GID: fi.GID,
		Mtime: fi.ModTime.UnixNano(), Inode: fi.Ino, Links: fi.Nlink}
	if !fi.ChangeTime.IsZero() {
		e.Ctime = fi.ChangeTime.UnixNano()
	}
	if e.Type == TypeFile || e.Type == TypeSymlink {
		e.Size = fi.Size
	}
	return e
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

// hashFile fills e's wanted digests ("-" marks them) from the file rel.
// The open handle is stat'ed before and after reading: a file that
// changed meanwhile is read again, and after maxAttempts marked
// unstable. e's metadata is taken from the handle, so it describes the
// content that was hashed.
func hashFile(op *target.BulkOpener, rel string, e *Entry) (int64, error) {
	var total int64
	for range maxAttempts {
		n, before, after, err := hashOnce(op, rel, e)
		total += n
		if err != nil {
			return total, err
		}
		if before == nil {
			return total, nil
		}
		if statSame(before, after) {
			e.Type, e.Mode, e.UID, e.GID = after.Type, after.Mode, after.UID, after.GID
			e.Size, e.Mtime, e.Ctime, e.Inode, e.Links = after.Size, after.Mtime, after.Ctime, after.Inode, after.Links
			return total, nil
		}
	}
	e.Unstable = true
	return total, nil
}

func hashOnce(op *target.BulkOpener, rel string, e *Entry) (n int64, before, after *Entry, err error) {
	h, err := op.Open(rel)
	if err != nil {
		return 0, nil, nil, err
	}
	defer h.Close()
	if before, err = openEntry(h, e.Path); err != nil {
		return 0, nil, nil, err
	}
	if before != nil && before.Type != TypeFile {
		// Replaced by something else since the walk saw it: never read
		// a device or FIFO.
		return 0, nil, nil, &fs.PathError{Op: "open", Path: e.Path, Err: errors.New("no longer a regular file")}
	}
	var hs []hash.Hash
	var s256, s512, b3 hash.Hash
	if e.SHA256 != "" {
		s256 = sha256.New()
		hs = append(hs, s256)
	}
	if e.SHA512 != "" {
		s512 = sha512.New()
		hs = append(hs, s512)
	}
	if e.BLAKE3 != "" {
		b3 = blake3.New(32, nil)
		hs = append(hs, b3)
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for before == nil || n < before.Size {
		m, rerr := h.Read(buf)
		for _, h := range hs {
			h.Write(buf[:m])
		}
		n += int64(m)
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return n, nil, nil, rerr
		}
	}
	// Reading stops at the size fstat gave, saving the read that would
	// return EOF: a file that grew meanwhile has another size or mtime
	// after, and is read again.
	if s256 != nil {
		e.SHA256 = hex.EncodeToString(s256.Sum(nil))
	}
	if s512 != nil {
		e.SHA512 = hex.EncodeToString(s512.Sum(nil))
	}
	if b3 != nil {
		e.BLAKE3 = hex.EncodeToString(b3.Sum(nil))
	}
	if after, err = openEntry(h, e.Path); err != nil {
		return n, nil, nil, err
	}
	return n, before, after, nil
}

// openEntry describes the open file h as the entry path (nil when the
// backend cannot stat an open file).
func openEntry(h target.BulkFile, path string) (*Entry, error) {
	fi, ok, err := h.Stat()
	if err != nil || !ok {
		return nil, err
	}
	return entryOf(path, fi), nil
}
