package sdjournal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/target"
)

// Directories where journald keeps its files: the persistent store, and
// on a running system also the volatile one (before the journal is
// flushed to /var, or when Storage=volatile).
const (
	PersistentDir = "var/log/journal"
	VolatileDir   = "run/log/journal"
)

// Dirs returns the journal directories to read: /run/log/journal belongs
// to the running system only, so an offline target has just /var/log/journal.
func Dirs(live bool) []string {
	if live {
		return []string{VolatileDir, PersistentDir}
	}
	return []string{PersistentDir}
}

// Bounds on listing: journald keeps at most 100 files per directory by
// default, in one directory per machine (and namespace).
const (
	maxDirs       = 64
	maxCandidates = 1024
	// maxInMemory bounds a journal file read into memory when the target
	// cannot read at offsets (image content held in memory).
	maxInMemory = 256 << 20
)

// Result is what Read found.
type Result struct {
	// Entries are the selected entries of every file, oldest first.
	Entries []Entry
	// Dirs are the journal directories that exist, Files the journal
	// files read (completely or in part), as absolute paths.
	Dirs  []string
	Files []string
	// Candidates counts the journal files found (read or not).
	Candidates int
	// Gaps say what was not read: files over the bounds, damaged or
	// unreadable files, a budget spent before the window's start. Any
	// gap means an entry not found is not evidence that there was none.
	Gaps []string
	// BytesRead counts the bytes read from journal files.
	BytesRead int64
}

// IsJournalName reports whether a file name is one journald writes: the
// active file (system.journal, user-1000.journal), an archived one
// (system@…-…-….journal) or one set aside after an unclean shutdown
// (….journal~).
func IsJournalName(name string) bool {
	return strings.HasSuffix(name, ".journal") || strings.HasSuffix(name, ".journal~")
}

type candidate struct {
	path string
	h    Header
}

// Read reads the journal files under dirs of t (each directory and its
// machine-id subdirectories) newest file first and returns the entries q
// selects. Unreadable or damaged files become gaps; only cancellation is
// an error.
func Read(ctx context.Context, t target.Target, dirs []string, q Query, lim Limits) (*Result, error) {
	res := &Result{}
	rd := NewReader(lim)
	defer rd.Close()
	var cands []*candidate
	more := 0
	for _, dir := range dirs {
		files, err := listDir(t, dir, res)
		if err != nil {
			res.Gaps = append(res.Gaps, err.Error())
		}
		for _, p := range files {
			if len(cands) >= maxCandidates {
				more++
				continue
			}
			cands = append(cands, &candidate{path: p})
		}
	}
	res.Candidates = len(cands) + more
	if more > 0 {
		res.Gaps = append(res.Gaps, fmt.Sprintf("%d journal files beyond the first %d not read", more, maxCandidates))
	}
	var since uint64
	if !q.Since.IsZero() && q.Since.UnixMicro() > 0 {
		since = uint64(q.Since.UnixMicro())
	}
	var open []*candidate
	for _, c := range cands {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := readHeader(t, rd, c.path)
		c.h = h
		if err != nil {
			res.Gaps = append(res.Gaps, err.Error())
			continue
		}
		if since > 0 && c.h.TailRealtime != 0 && c.h.TailRealtime < since {
			continue // ends before the window
		}
		open = append(open, c)
	}
	// Newest first, so the budget is spent on the window's recent end.
	sort.SliceStable(open, func(i, j int) bool {
		return open[i].h.TailRealtime > open[j].h.TailRealtime
	})
	seenFile := map[[16]byte]bool{}
	type key struct {
		id     [16]byte
		seqnum uint64
		rt     uint64
	}
	seenEntry := map[key]bool{}
	lim = lim.norm()
	read := 0
	for _, c := range open {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		abs := target.Abs(c.path)
		if seenFile[c.h.FileID] {
			continue // the same file reached twice (a bind mount, a copy)
		}
		seenFile[c.h.FileID] = true
		if rd.Spent() {
			res.Gaps = append(res.Gaps, fmt.Sprintf("%s: not read, the read budget was spent on newer files", abs))
			continue
		}
		if read >= lim.Files {
			res.Gaps = append(res.Gaps, fmt.Sprintf("%s: not read, more than %d journal files in the window", abs, lim.Files))
			continue
		}
		read++
		var st Stats
		opened := false
		err := withFile(t, rd, c.path, func(f *File) error {
			opened = true
			if f.Truncated {
				res.Gaps = append(res.Gaps, fmt.Sprintf("%s: truncated (shorter than its header says)", abs))
			}
			var err error
			st, err = f.Entries(ctx, q, func(e Entry) error {
				k := key{e.seqnumID, e.Seqnum, e.realtime}
				if !seenEntry[k] {
					seenEntry[k] = true
					e.File = abs
					res.Entries = append(res.Entries, e)
				}
				return nil
			})
			return err
		})
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !opened {
			res.Gaps = append(res.Gaps, err.Error())
			continue
		}
		res.Files = append(res.Files, abs)
		switch {
		case err != nil:
			res.Gaps = append(res.Gaps, fmt.Sprintf("%s: read in part: %v", abs, err))
		case !st.Complete:
			res.Gaps = append(res.Gaps, fmt.Sprintf("%s: not read back to the start of the window", abs))
		}
		if st.Damaged > 0 {
			res.Gaps = append(res.Gaps, fmt.Sprintf("%s: %d damaged entries skipped", abs, st.Damaged))
		}
	}
	sort.SliceStable(res.Entries, func(i, j int) bool {
		a, b := res.Entries[i], res.Entries[j]
		if a.realtime != b.realtime {
			return a.realtime < b.realtime
		}
		return a.Seqnum < b.Seqnum
	})
	res.BytesRead = rd.BytesRead()
	return res, nil
}

// listDir returns the journal files in dir and in its subdirectories
// (one per machine id and namespace, and journal-remote's "remote").
func listDir(t target.Target, dir string, res *Result) ([]string, error) {
	ents, err := t.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
			return nil, nil
		}
		return nil, fmt.Errorf("list %s: %w", target.Abs(dir), err)
	}
	res.Dirs = append(res.Dirs, target.Abs(dir))
	var out, sub []string
	for _, e := range ents {
		p := path.Join(dir, e.Name)
		switch {
		case e.Type.IsDir():
			sub = append(sub, p)
		case e.Type.IsRegular() && IsJournalName(e.Name):
			out = append(out, p)
		}
	}
	var errs []string
	for i, d := range sub {
		if i >= maxDirs {
			errs = append(errs, fmt.Sprintf("%d directories under %s beyond the first %d not read", len(sub)-maxDirs, target.Abs(dir), maxDirs))
			break
		}
		ents, err := t.ReadDir(d)
		if err != nil {
			errs = append(errs, fmt.Sprintf("list %s: %v", target.Abs(d), err))
			continue
		}
		for _, e := range ents {
			if e.Type.IsRegular() && IsJournalName(e.Name) {
				out = append(out, path.Join(d, e.Name))
			}
		}
	}
	slices.Sort(out)
	if len(errs) > 0 {
		return out, errors.New(strings.Join(errs, "; "))
	}
	return out, nil
}

// readHeader reads only the header of the journal file p of t.
func readHeader(t target.Target, rd *Reader, p string) (Header, error) {
	abs := target.Abs(p)
	rc, err := t.Open(p)
	if err != nil {
		return Header{}, fmt.Errorf("%s: %w", abs, err)
	}
	defer rc.Close()
	return rd.header(rc, abs)
}

// withFile opens the journal file p of t, reads its header and calls fn
// with it; fn is not called when the file cannot be opened.
func withFile(t target.Target, rd *Reader, p string, fn func(*File) error) error {
	abs := target.Abs(p)
	rc, err := t.Open(p)
	if err != nil {
		return fmt.Errorf("%s: %w", abs, err)
	}
	defer rc.Close()
	ra, size, err := readerAt(rc, p, rd)
	if err != nil {
		return fmt.Errorf("%s: %w", abs, err)
	}
	f, err := rd.Open(ra, size, abs)
	if err != nil {
		return err // names the file
	}
	return fn(f)
}

// readerAt gives random access to an open file: directly when the target
// can read at offsets, else by reading it into memory within the budget.
func readerAt(rc io.ReadCloser, name string, rd *Reader) (io.ReaderAt, int64, error) {
	type sized interface{ Size() int64 }
	type statter interface{ Stat() (fs.FileInfo, error) }
	if ra, ok := rc.(io.ReaderAt); ok {
		switch s := rc.(type) {
		case statter:
			fi, err := s.Stat()
			if err != nil {
				return nil, 0, err
			}
			return ra, fi.Size(), nil
		case sized:
			return ra, s.Size(), nil
		}
	}
	limit := min(int64(maxInMemory), rd.bytesLeft)
	b, err := target.ReadAllLimit(rc, name, limit)
	if err != nil {
		return nil, 0, err
	}
	rd.bytesLeft -= int64(len(b))
	return bytes.NewReader(b), int64(len(b)), nil
}
