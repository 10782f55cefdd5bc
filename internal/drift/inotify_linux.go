//go:build linux

package drift

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"unsafe"

	"golang.org/x/sys/unix"
)

// maxWatches bounds inotify watches (each costs kernel memory).
const maxWatches = 1024

const inotifyMask = unix.IN_MODIFY | unix.IN_ATTRIB | unix.IN_CLOSE_WRITE | unix.IN_CREATE | unix.IN_DELETE |
	unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF

// watchFiles signals on the returned channel (coalesced) when a watched
// name in one of dirs changes. stop releases the inotify instance.
func watchFiles(dirs []WatchDir) (<-chan struct{}, func(), error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, nil, fmt.Errorf("inotify: %w", err)
	}
	wds := map[int]WatchDir{}
	var errs []error
	for _, d := range dirs {
		if len(wds) >= maxWatches {
			errs = append(errs, fmt.Errorf("inotify: more than %d directories, the rest are checked on the interval only", maxWatches))
			break
		}
		wd, err := unix.InotifyAddWatch(fd, d.Dir, inotifyMask)
		if err != nil {
			if !errors.Is(err, unix.ENOENT) {
				errs = append(errs, fmt.Errorf("inotify %s: %w", d.Dir, err))
			}
			continue
		}
		wds[wd] = d
	}
	// A non-blocking descriptor makes the File pollable: Read parks in the
	// runtime poller and Close wakes it.
	f := os.NewFile(uintptr(fd), "inotify")
	ch := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			if relevantEvents(buf[:n], wds) {
				select {
				case ch <- struct{}{}:
				default:
				}
			}
		}
	}()
	return ch, func() { f.Close() }, errors.Join(errs...)
}

func relevantEvents(b []byte, wds map[int]WatchDir) bool {
	for len(b) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(b) {
			return true
		}
		name := string(bytes.TrimRight(b[unix.SizeofInotifyEvent:end], "\x00"))
		b = b[end:]
		if ev.Mask&(unix.IN_Q_OVERFLOW|unix.IN_IGNORED|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF) != 0 {
			return true
		}
		d, ok := wds[int(ev.Wd)]
		if ok && (d.Any || name == "" || slices.Contains(d.Names, name)) {
			return true
		}
	}
	return false
}
