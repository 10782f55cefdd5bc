package drift

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"time"

	"github.com/cradle-cra/cradle/internal/fswatch"
)

// WatchDir is one directory to watch for changes: to a listed directory
// any name matters, otherwise only Names.
type WatchDir struct {
	Dir   string
	Names []string
	Any   bool
}

// WatchDirs derives the directories to watch from a snapshot whose target
// root is the host directory root.
func WatchDirs(root string, s *Snapshot) []WatchDir {
	byDir := map[string]*WatchDir{}
	get := func(rel string) *WatchDir {
		d := filepath.Join(root, filepath.FromSlash(rel))
		if w, ok := byDir[d]; ok {
			return w
		}
		w := &WatchDir{Dir: d}
		byDir[d] = w
		return w
	}
	for _, f := range s.Files {
		if f.Listed {
			get(f.Path).Any = true
		}
		if f.Path == "" {
			continue
		}
		w := get(parent(f.Path))
		w.Names = append(w.Names, path.Base(f.Path))
	}
	out := make([]WatchDir, 0, len(byDir))
	for _, w := range byDir {
		out = append(out, *w)
	}
	slices.SortFunc(out, func(a, b WatchDir) int {
		switch {
		case a.Dir < b.Dir:
			return -1
		case a.Dir > b.Dir:
			return 1
		}
		return 0
	})
	return out
}

// WatchOptions configure Watch.
type WatchOptions struct {
	// Interval between evaluations without file changes.
	Interval time.Duration
	// MinInterval is the least time between two evaluations, however often
	// files change.
	MinInterval time.Duration
	// Debounce waits for a burst of file changes to settle (default 2s).
	Debounce time.Duration
	// Dirs are watched for changes (internal/fswatch on Linux; ignored
	// elsewhere).
	Dirs []WatchDir
	// Evaluate runs one evaluation; its error is passed to Warn and the
	// loop goes on.
	Evaluate func(ctx context.Context) error
	// Refresh, when set, is called after each evaluation; a non-nil result
	// replaces the watched directories (a new snapshot was approved and
	// reads other files).
	Refresh func() []WatchDir
	// Warn receives non-fatal problems; it may be nil.
	Warn func(error)
}

// watchFiles starts watching; tests replace it to make watching fail.
var watchFiles = fswatch.Watch

// Watch evaluates now, then on every interval and after watched files
// change (debounced, never more often than MinInterval), until ctx is
// cancelled; it then returns nil. Watching files that fails once started
// (the kernel stops delivering events) ends it with that error rather
// than going on with the interval alone.
func Watch(ctx context.Context, o WatchOptions) error {
	warn := o.Warn
	if warn == nil {
		warn = func(error) {}
	}
	if o.Debounce <= 0 {
		o.Debounce = 2 * time.Second
	}
	if o.Interval < o.MinInterval {
		o.Interval = o.MinInterval
	}
	var changes <-chan fswatch.Batch
	var watcher *fswatch.Watcher
	stop := func() {}
	watch := func(dirs []WatchDir) {
		stop()
		changes, watcher, stop = nil, nil, func() {}
		if len(dirs) == 0 {
			return
		}
		wctx, cancel := context.WithCancel(ctx)
		w, err := watchFiles(wctx, watchRoots(dirs), fswatch.Options{Debounce: min(o.Debounce, 300*time.Millisecond), Warn: warn})
		if err != nil {
			cancel()
			// Elsewhere than Linux, or nothing to watch yet: the
			// interval still evaluates.
			if !errors.Is(err, fswatch.ErrUnsupported) && !errors.Is(err, fswatch.ErrNoRoots) {
				warn(err)
			}
			return
		}
		changes, watcher, stop = w.C, w, cancel
	}
	watch(o.Dirs)
	defer func() { stop() }()
	run := func() time.Time {
		if err := o.Evaluate(ctx); err != nil && ctx.Err() == nil {
			warn(err)
		}
		if o.Refresh != nil {
			if dirs := o.Refresh(); dirs != nil {
				watch(dirs)
			}
		}
		return time.Now()
	}
	last := run()
	next := last.Add(o.Interval)
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	defer debounce.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-changes:
			if !ok {
				if err := watcher.Err(); err != nil && ctx.Err() == nil {
					return fmt.Errorf("watching files: %w", err)
				}
				changes = nil
				continue
			}
			debounce.Reset(o.Debounce)
		case <-debounce.C:
			due := time.Now()
			if earliest := last.Add(o.MinInterval); due.Before(earliest) {
				due = earliest
			}
			if due.Before(next) {
				next = due
				timer.Reset(time.Until(next))
			}
		case <-timer.C:
			if ctx.Err() != nil {
				return nil
			}
			last = run()
			next = last.Add(o.Interval)
			timer.Reset(time.Until(next))
		}
	}
}

// watchRoots are the fswatch roots of dirs: a listed directory reports
// any name, another only the names the snapshot reads.
func watchRoots(dirs []WatchDir) []fswatch.Root {
	out := make([]fswatch.Root, 0, len(dirs))
	for _, d := range dirs {
		r := fswatch.Root{Dir: d.Dir}
		if !d.Any {
			r.Names = d.Names
			if len(r.Names) == 0 {
				continue // nothing in it is read
			}
		}
		out = append(out, r)
	}
	return out
}
