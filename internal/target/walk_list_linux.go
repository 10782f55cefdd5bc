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

// visitList is visit for WalkListings: the same open, prune and read,
// one call of w.list per getdents block.
func (w *linuxWalker) visitList(j walkJob, buf []byte, children []walkJob) []walkJob {
	fd, ok := w.openDir(j)
	if !ok {
		return children
	}
	dir := &walkDirFD{fd: fd}
	dir.refs.Store(1)
	first := len(children)
	b := listBatches.Get().(*listBatch)
	defer listBatches.Put(b)
	var st unix.Stat_t
	n, ahead := 0, false
	if w.opts.Prune != nil && j.parent != nil {
		var err error
		if n, err = getdents(fd, buf); err != nil {
			w.report(j.path, "readdir", err)
			dir.release()
			return children
		}
		ahead = true
		if w.opts.Prune(j.path, &linuxProbe{fd: fd, dir: j.path, buf: buf[:max(n, 0)]}) != "" {
			dir.release()
			return children
		}
	}
	for {
		if !ahead {
			var err error
			if n, err = getdents(fd, buf); err != nil {
				w.report(j.path, "readdir", err)
				break
			}
		}
		ahead = false
		if n <= 0 {
			break
		}
		b.ents, b.devs = b.ents[:0], b.devs[:0]
		ok := true
		for off := 0; off < n; {
			rec, _, next := nextDirent(buf[:n], off)
			if next < 0 {
				break
			}
			off = next
			if rec == nil {
				continue
			}
			if err := fstatatName(fd, rec, &st); err != nil {
				if !w.report(joinRelBytes(j.path, rec), "lstat", err) {
					ok = false
					break
				}
				continue
			}
			b.ents = append(b.ents, ListEntry{Name: rec, Info: fileInfoFromStat("", &st), Tag: -1})
			b.devs = append(b.devs, uint64(st.Dev))
		}
		if !ok {
			break
		}
		w.listMu.Lock()
		err := w.list(j.tag, b.ents)
		w.listMu.Unlock()
		if err != nil {
			w.fail(err)
			break
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
	}
	clear(b.ents) // drop the names into buf
	if w.failed() {
		children = children[:first]
	}
	dir.refs.Add(int32(len(children) - first))
	dir.release()
	return children
}

// A directory is read until getdents returns 0: a short read is not the
// end, since the kernel also stops filling the buffer early when a signal
// is pending (filldir64), and the Go runtime signals its threads for
// preemption.
