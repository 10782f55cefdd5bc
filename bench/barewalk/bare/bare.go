//go:build linux

// Package bare is the reference walk cradle's filesystem walk is measured
// against: the plainest parallel metadata walk — open each directory by
// path, getdents64, fstatat every entry, a fixed number of workers — with
// no per-entry work beyond counting. It skips the same directories and
// filesystems cradle's filesystem-wide facts skip, so both see the same
// entries.
package bare

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cradle-cra/cradle/internal/target"
)

// Options select what to walk.
type Options struct {
	Root      string   // absolute directory
	Skip      []string // root-relative directories not to descend into
	LocalOnly bool     // skip pseudo, volatile and remote mounts (target.NonLocalFS)
	Workers   int      // default 2
}

// Stats counts what a walk saw.
type Stats struct {
	Entries int64 // entries stat'ed, the root included
	Errors  int64
}

// Walk walks opts.Root.
func Walk(opts Options) Stats {
	workers := opts.Workers
	if workers <= 0 {
		workers = 2
	}
	skip := map[string]bool{}
	for _, s := range opts.Skip {
		skip[filepath.Join(opts.Root, s)] = true
	}
	if opts.LocalOnly {
		if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
			for _, m := range target.ParseMountInfo(b) {
				if target.NonLocalFS(m.FSType) && m.Point != opts.Root {
					skip[m.Point] = true
				}
			}
		}
	}
	var (
		st      Stats
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		stack   = []string{opts.Root}
		active  int
		entries atomic.Int64
		errs    atomic.Int64
		wg      sync.WaitGroup
	)
	entries.Add(1)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64<<10)
			var names []string
			for {
				mu.Lock()
				for len(stack) == 0 && active > 0 {
					cond.Wait()
				}
				if len(stack) == 0 {
					mu.Unlock()
					cond.Broadcast()
					return
				}
				dir := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				active++
				mu.Unlock()

				var subdirs []string
				fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
				if err != nil {
					errs.Add(1)
				} else {
					for {
						n, err := unix.ReadDirent(fd, buf)
						if err != nil {
							errs.Add(1)
							break
						}
						if n <= 0 {
							break
						}
						_, _, names = unix.ParseDirent(buf[:n], -1, names[:0])
						for _, name := range names {
							var s unix.Stat_t
							if err := unix.Fstatat(fd, name, &s, unix.AT_SYMLINK_NOFOLLOW); err != nil {
								errs.Add(1)
								continue
							}
							entries.Add(1)
							if s.Mode&unix.S_IFMT == unix.S_IFDIR {
								p := dir + "/" + name
								if dir == "/" {
									p = "/" + name
								}
								if !skip[p] {
									subdirs = append(subdirs, p)
								}
							}
						}
					}
					unix.Close(fd)
				}

				mu.Lock()
				stack = append(stack, subdirs...)
				active--
				mu.Unlock()
				cond.Broadcast()
			}
		}()
	}
	wg.Wait()
	st.Entries, st.Errors = entries.Load(), errs.Load()
	return st
}
