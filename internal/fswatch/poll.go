package fswatch

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Poll is the portable backend: a periodic re-stat walk of the roots,
// compared with the previous one. It is what watching is outside Linux,
// and can be asked for anywhere (tests run it on Linux).
const Poll = "poll"

// pollMinInterval is the least time between two polls; a walk that
// takes longer waits twice its own duration, so polling never takes
// more than about a third of a core.
const pollMinInterval = time.Second

// pstat is what a poll compares of an entry: a change of any is a
// change of the path.
type pstat struct {
	mode  fs.FileMode
	size  int64
	mtime int64
	ino   uint64
	ctime int64
}

// startPoll takes the first snapshot (so a change after Watch returns is
// seen), then polls until ctx is done.
func startPoll(ctx context.Context, roots []Root, o Options, raw *feed) error {
	var live []Root
	for _, r := range roots {
		if fi, err := os.Stat(r.Dir); err != nil || !fi.IsDir() {
			o.Warn(&fs.PathError{Op: "watch", Path: r.Dir, Err: errors.Join(fs.ErrNotExist, err)})
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return ErrNoRoots
	}
	prev := pollSnapshot(live, o)
	go func() {
		wait := pollMinInterval
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			began := time.Now()
			cur := pollSnapshot(live, o)
			wait = max(pollMinInterval, 2*time.Since(began))
			cs := pollDiff(prev, cur)
			prev = cur
			if len(cs) == 0 {
				continue
			}
			select {
			case raw.c <- cs:
			case <-ctx.Done():
				return
			}
		}
	}()
	return nil
}

// pollSnapshot stats everything the roots watch, never following a
// symlink; what cannot be read is left out (it reads as removed, and as
// added when it can be read again).
func pollSnapshot(roots []Root, o Options) map[string]pstat {
	m := map[string]pstat{}
	put := func(p string, fi fs.FileInfo) {
		ino, ctime := sysStat(fi)
		m[p] = pstat{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime().UnixNano(), ino: ino, ctime: ctime}
	}
	for _, r := range roots {
		switch {
		case r.Recursive:
			_ = filepath.WalkDir(r.Dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return nil // unreadable: left out, the walk goes on
				}
				fi, err := d.Info()
				if err != nil {
					return nil
				}
				put(p, fi)
				if d.IsDir() && p != r.Dir && o.Prune != nil && o.Prune(p) {
					return filepath.SkipDir
				}
				return nil
			})
		case len(r.Names) > 0:
			for _, n := range r.Names {
				p := filepath.Join(r.Dir, n)
				if fi, err := os.Lstat(p); err == nil {
					put(p, fi)
				}
			}
		default:
			ents, _ := os.ReadDir(r.Dir)
			for _, e := range ents {
				if fi, err := e.Info(); err == nil {
					put(filepath.Join(r.Dir, e.Name()), fi)
				}
			}
		}
	}
	return m
}

// pollDiff names every path added, removed or changed between two
// snapshots.
func pollDiff(prev, cur map[string]pstat) []change {
	var out []change
	for p, s := range cur {
		if o, ok := prev[p]; !ok || o != s {
			out = append(out, change{path: p})
		}
	}
	for p := range prev {
		if _, ok := cur[p]; !ok {
			out = append(out, change{path: p})
		}
	}
	return out
}
