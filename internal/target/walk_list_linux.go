//go:build linux

package target

import (
	"context"
	"sync"

	"golang.org/x/sys/unix"
)

// walkListingsDir is WalkListings over a directory target: the Linux
// walk (walk_linux.go), reporting each getdents block's entries in one
// call instead of a FileInfo with its path per entry.
func walkListingsDir(ctx context.Context, d *dirTarget, opts WalkOptions, fn ListingFunc) error {
	w, st, err := newLinuxWalker(ctx, d, opts)
	if err != nil {
		return err
	}
	w.list = fn
	root := []ListEntry{{Info: fileInfoFromStat("", &st), Tag: -1}}
	if err := fn(-1, root); err != nil {
		unix.Close(w.rootFD)
		return err
	}
	return w.run(walkJob{path: "", dev: uint64(st.Dev), tag: root[0].Tag})
}

// listBatch is one getdents block's entries and what the walk needs
// of each to descend.
type listBatch struct {
	ents []ListEntry
	devs []uint64
}

var listBatches = sync.Pool{New: func() any { return new(listBatch) }}

// visitList is visit for WalkListings: the same open, prune and read
// (eachBlock), one call of w.list per getdents block.
func (w *linuxWalker) visitList(j walkJob, buf []byte, children []walkJob) []walkJob {
	b := listBatches.Get().(*listBatch)
	defer listBatches.Put(b)
	defer func() { clear(b.ents) }() // drop the names into buf
	var st unix.Stat_t
	return w.eachBlock(j, buf, children, func(dir *walkDirFD, blk []byte, children []walkJob) ([]walkJob, bool) {
		b.ents, b.devs = b.ents[:0], b.devs[:0]
		for off := 0; off < len(blk); {
			rec, _, next := nextDirent(blk, off)
			if next < 0 {
				break
			}
			off = next
			if rec == nil {
				continue
			}
			if err := fstatatName(dir.fd, rec, &st); err != nil {
				if !w.report(joinRelBytes(j.path, rec), "lstat", err) {
					return children, false
				}
				continue
			}
			b.ents = append(b.ents, ListEntry{Name: rec, Info: fileInfoFromStat("", &st), Tag: -1})
			b.devs = append(b.devs, uint64(st.Dev))
		}
		w.listMu.Lock()
		err := w.list(j.tag, b.ents)
		w.listMu.Unlock()
		if err != nil {
			w.fail(err)
			return children, false
		}
		for i := range b.ents {
			e := &b.ents[i]
			if !e.Info.Mode.IsDir() {
				continue
			}
			p := joinRelBytes(j.path, e.Name)
			if w.descend(p, b.devs[i], j.dev) {
				children = append(children, walkJob{parent: dir, name: p[len(p)-len(e.Name):], path: p, dev: b.devs[i], tag: e.Tag})
			}
		}
		return children, true
	})
}

// A directory is read until getdents returns 0: a short read is not the
// end, since the kernel also stops filling the buffer early when a signal
// is pending (filldir64), and the Go runtime signals its threads for
// preemption.
