// Package fswatch tells, in debounced batches, which paths below a set of
// directories changed: fanotify filesystem marks where the kernel and
// privileges allow, recursive inotify otherwise (Linux), a periodic
// re-stat walk elsewhere (Poll, poll.go). Lost events (a queue overflow) become a
// rescan of the affected subtree, so a consumer that re-reads what a batch
// names never misses a change. It only signals: what changed is read again
// by the consumer, through its own confined reader.
package fswatch

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Root is one directory to watch.
type Root struct {
	// Dir is an absolute host path.
	Dir string
	// Recursive watches every directory below Dir too, including those
	// created later.
	Recursive bool
	// Names, when set, limits a non-recursive root to these names in Dir.
	Names []string
}

// Batch is what changed since the previous batch. Both lists are sorted,
// unique, and no path lies below a Rescan entry.
type Batch struct {
	// Paths changed (created, written, removed, renamed, chmodded); for a
	// change to a directory's listing the directory's child is named.
	Paths []string
	// Rescan are subtrees whose events may have been lost (queue
	// overflow, a directory created, moved or removed): re-read them
	// whole.
	Rescan []string
}

// Backends.
const (
	Auto     = ""
	Fanotify = "fanotify"
	Inotify  = "inotify"
)

// Options configure Watch.
type Options struct {
	// Debounce is the quiet time that ends a batch (default 300ms).
	Debounce time.Duration
	// MaxDelay bounds how long a change waits under a steady stream of
	// others (default 1s, never below Debounce).
	MaxDelay time.Duration
	// Backend forces Fanotify or Inotify; Auto tries fanotify first when
	// a root is recursive.
	Backend string
	// Prune, when set, keeps recursive watching out of a directory (host
	// path) and everything below it.
	Prune func(dir string) bool
	// MaxWatches bounds inotify watches (default 65536; each costs kernel
	// memory); directories beyond it are reported through Warn.
	MaxWatches int
	// Warn receives non-fatal problems; it may be nil.
	Warn func(error)
}

// ErrUnsupported: the backend asked for does not exist on this system
// (fanotify or inotify outside Linux).
var ErrUnsupported = errors.New("not supported on this system")

// ErrNoRoots: none of the roots could be watched (none exists).
var ErrNoRoots = errors.New("none of the directories to watch exists")

// maxPaths bounds a batch: beyond it the batch becomes a rescan of every
// root, which costs no more than the paths would.
const maxPaths = 1 << 16

// Watcher delivers batches on C until the context is done or the
// backend fails, then closes C; Err tells which.
type Watcher struct {
	C <-chan Batch
	// Backend is the mechanism in use (Fanotify, Inotify or Poll).
	Backend string

	mu  sync.Mutex
	err error
}

// Err is why C was closed: nil once the context is done, the backend's
// error when it could no longer read events (nothing more would be seen).
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Failed is a Watcher that has already ended with err, for tests of
// what consumers do when watching fails.
func Failed(backend string, err error) *Watcher {
	c := make(chan Batch)
	close(c)
	return &Watcher{C: c, Backend: backend, err: err}
}

// feed carries a backend's changes to the debouncer. A reader that fails
// stores its error in err, then closes c (the close publishes err).
type feed struct {
	c   chan []change
	err error
}

// change is one raw observation of a backend.
type change struct {
	path   string
	rescan bool
}

// Watch starts watching roots. It fails only when no root could be
// watched at all; roots that do not exist are skipped (Warn).
func Watch(ctx context.Context, roots []Root, o Options) (*Watcher, error) {
	if o.Debounce <= 0 {
		o.Debounce = 300 * time.Millisecond
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = time.Second
	}
	if o.MaxDelay < o.Debounce {
		o.MaxDelay = o.Debounce
	}
	if o.MaxWatches <= 0 {
		o.MaxWatches = 1 << 16
	}
	if o.Warn == nil {
		o.Warn = func(error) {}
	}
	raw := &feed{c: make(chan []change, 64)}
	backend, err := start(ctx, roots, o, raw)
	if err != nil {
		return nil, err
	}
	return newWatcher(ctx, backend, roots, o, raw), nil
}

// newWatcher delivers the backend's changes, debounced.
func newWatcher(ctx context.Context, backend string, roots []Root, o Options, raw *feed) *Watcher {
	out := make(chan Batch, 1)
	w := &Watcher{C: out, Backend: backend}
	go func() {
		err := debounce(ctx, roots, o, raw, out)
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
		close(out)
	}()
	return w
}

// debounce merges raw changes into batches: a batch is delivered once no
// change came for Debounce, or MaxDelay after its first change. It
// returns nil when ctx is done, the backend's error when it failed (what
// was pending is delivered first).
func debounce(ctx context.Context, roots []Root, o Options, raw *feed, out chan<- Batch) error {
	cur := newPending()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var first time.Time
	ready := false
	for {
		var send chan<- Batch
		if ready {
			send = out
		}
		select {
		case <-ctx.Done():
			return nil
		case cs, ok := <-raw.c:
			if !ok {
				return flush(ctx, cur, raw.err, out)
			}
			if cur.empty() {
				first = time.Now()
			}
			for _, c := range cs {
				cur.add(c)
			}
			if len(cur.paths) > maxPaths {
				cur = newPending()
				for _, r := range roots {
					cur.add(change{path: r.Dir, rescan: true})
				}
			}
			if !ready {
				wait := o.Debounce
				if left := o.MaxDelay - time.Since(first); left < wait {
					wait = max(left, 0)
				}
				timer.Reset(wait)
			}
		case <-timer.C:
			ready = !cur.empty()
		case send <- cur.batch():
			cur, ready = newPending(), false
		}
	}
}

// flush delivers what is pending once the backend stopped, and returns
// its error.
func flush(ctx context.Context, cur *pending, err error, out chan<- Batch) error {
	if !cur.empty() {
		select {
		case out <- cur.batch():
		case <-ctx.Done():
			return nil
		}
	}
	if err == nil {
		err = errors.New("file watching stopped")
	}
	return err
}
