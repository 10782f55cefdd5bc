//go:build linux

package fswatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"unsafe"

	"golang.org/x/sys/unix"
)

const inotifyMask = unix.IN_MODIFY | unix.IN_ATTRIB | unix.IN_CLOSE_WRITE | unix.IN_CREATE | unix.IN_DELETE |
	unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF |
	unix.IN_ONLYDIR | unix.IN_DONT_FOLLOW | unix.IN_EXCL_UNLINK

// inotifyWatch is the state of one inotify instance; only its reading
// goroutine touches it once started.
type inotifyWatch struct {
	fd     int
	o      Options
	roots  []Root
	wds    map[int32]watched
	byPath map[string]int32
	full   bool // MaxWatches was reached and reported
}

type watched struct {
	dir  string
	root *Root
}

func startInotify(ctx context.Context, roots []Root, o Options, raw *feed) error {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return fmt.Errorf("inotify: %w", err)
	}
	w := &inotifyWatch{fd: fd, o: o, roots: roots, wds: map[int32]watched{}, byPath: map[string]int32{}}
	for i := range w.roots {
		r := &w.roots[i]
		if r.Recursive {
			w.addTree(r.Dir, r)
		} else {
			w.add(r.Dir, r)
		}
	}
	if len(w.wds) == 0 && len(roots) > 0 {
		unix.Close(fd)
		return ErrNoRoots
	}
	// A non-blocking descriptor makes the File pollable: Read parks in the
	// runtime poller and Close wakes it.
	f := os.NewFile(uintptr(fd), "inotify")
	go func() {
		<-ctx.Done()
		f.Close()
	}()
	go readEvents(ctx, "inotify", f, w.parse, raw)
	return nil
}

// add watches the directory dir for root r.
func (w *inotifyWatch) add(dir string, r *Root) {
	if len(w.wds) >= w.o.MaxWatches {
		if !w.full {
			w.full = true
			w.o.Warn(fmt.Errorf("inotify: more than %d directories; changes below the rest are not seen", w.o.MaxWatches))
		}
		return
	}
	wd, err := unix.InotifyAddWatch(w.fd, dir, inotifyMask)
	if err != nil {
		switch {
		case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOTDIR):
		case errors.Is(err, unix.ENOSPC):
			if !w.full {
				w.full = true
				w.o.Warn(fmt.Errorf("inotify %s: the kernel's watch limit is reached (fs.inotify.max_user_watches): %w", dir, err))
			}
		default:
			w.o.Warn(fmt.Errorf("inotify %s: %w", dir, err))
		}
		return
	}
	if prev, ok := w.wds[int32(wd)]; ok && prev.root.Recursive && !r.Recursive {
		return // the same directory for two roots: the recursive one sees more
	}
	w.wds[int32(wd)] = watched{dir: dir, root: r}
	w.byPath[dir] = int32(wd)
}

// addTree watches dir and every directory below it that Prune allows,
// without following symlinks.
func (w *inotifyWatch) addTree(dir string, r *Root) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil // vanished or unreadable: its parent's events still come
		}
		if p != r.Dir && w.o.Prune != nil && w.o.Prune(p) {
			return filepath.SkipDir
		}
		w.add(p, r)
		if w.full {
			return filepath.SkipAll
		}
		return nil
	})
}

// forget drops the watches on dir and below (it moved away).
func (w *inotifyWatch) forget(dir string) {
	for p, wd := range w.byPath {
		if Within(p, dir) {
			unix.InotifyRmWatch(w.fd, uint32(wd))
			delete(w.byPath, p)
			delete(w.wds, wd)
		}
	}
}

// parse turns a read of events into changes, adding watches for new
// directories as it goes.
func (w *inotifyWatch) parse(b []byte) []change {
	var out []change
	for len(b) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(b) {
			break
		}
		name := string(bytes.TrimRight(b[unix.SizeofInotifyEvent:end], "\x00"))
		b = b[end:]
		out = append(out, w.event(ev.Wd, ev.Mask, name)...)
	}
	return out
}

func (w *inotifyWatch) event(wd int32, mask uint32, name string) []change {
	if mask&unix.IN_Q_OVERFLOW != 0 {
		// Events were lost anywhere: every root is read again, and
		// directories created meanwhile get their watches.
		var out []change
		for i := range w.roots {
			r := &w.roots[i]
			if r.Recursive {
				w.addTree(r.Dir, r)
			}
			out = append(out, change{path: r.Dir, rescan: true})
		}
		return out
	}
	wt, ok := w.wds[wd]
	if !ok {
		return nil
	}
	if mask&unix.IN_IGNORED != 0 {
		delete(w.wds, wd)
		if w.byPath[wt.dir] == wd {
			delete(w.byPath, wt.dir)
		}
		return nil
	}
	if name == "" { // the directory itself
		if mask&unix.IN_MOVE_SELF != 0 {
			w.forget(wt.dir) // its watches would report the old paths
		}
		return []change{{path: wt.dir, rescan: mask&(unix.IN_DELETE_SELF|unix.IN_MOVE_SELF) != 0}}
	}
	if len(wt.root.Names) > 0 && !slices.Contains(wt.root.Names, name) {
		return nil
	}
	p := filepath.Join(wt.dir, name)
	if mask&unix.IN_ISDIR == 0 || !wt.root.Recursive {
		return []change{{path: p}}
	}
	switch {
	case mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0:
		// Entries made before the watch was in place have no events:
		// the new directory is read whole.
		if w.o.Prune == nil || !w.o.Prune(p) {
			w.addTree(p, wt.root)
		}
		return []change{{path: p, rescan: true}}
	case mask&unix.IN_MOVED_FROM != 0:
		w.forget(p)
		return []change{{path: p, rescan: true}}
	case mask&unix.IN_DELETE != 0:
		return []change{{path: p, rescan: true}}
	}
	return []change{{path: p}}
}
