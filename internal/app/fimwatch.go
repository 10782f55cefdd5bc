package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cradle-cra/cradle/internal/drift"
	"github.com/cradle-cra/cradle/internal/fim"
	"github.com/cradle-cra/cradle/internal/fswatch"
	"github.com/cradle-cra/cradle/internal/target"
)

// FIMWatchInput is a `cradle fim watch`.
type FIMWatchInput struct {
	FIMInput
	// Debounce is the quiet time that ends a batch of changes.
	Debounce time.Duration
	// Backend forces "fanotify" or "inotify"; empty picks.
	Backend string
	// Events receives one JSON line per event.
	Events io.Writer
	// Webhook, when set, receives each event as an HTTP POST.
	Webhook string
	// SyslogSocket, when set, receives each event as RFC 5424 syslog.
	SyslogSocket string
	// Ready, when set, is called once the watches are in place.
	Ready func(backend string, roots int)
}

// Debounce bounds of `cradle fim watch`: a change is reported within
// max(Debounce, 1s) plus the time to hash it.
const (
	MinFIMDebounce = 10 * time.Millisecond
	MaxFIMDebounce = 10 * time.Second
)

// dbSettle is how long a database that does not verify gets to be
// recorded by the change log before the watch calls it tampered.
const dbSettle = 2 * time.Second

// watchFiles starts watching; tests replace it to make watching fail.
var watchFiles = fswatch.Watch

// FIMWatch verifies the integrity database, then watches what the
// policy selects and, for each debounced batch of changed paths,
// records only those paths and emits one event per entry that differs
// from the database (and one when it is back), until ctx is done (nil).
// A missing or tampered database, at the start or when it is replaced
// while watching, ends the watch with its error (exit 2); a database
// replaced by `cradle fim update` is verified and watched against.
// Watching that fails (the kernel stops delivering events) ends the
// watch with an error event and an internal error: it never goes on
// seeing nothing.
func (a *App) FIMWatch(ctx context.Context, in FIMWatchInput) error {
	if in.Debounce < MinFIMDebounce || in.Debounce > MaxFIMDebounce {
		return Usagef("--debounce must be between %s and %s", MinFIMDebounce, MaxFIMDebounce)
	}
	if err := checkWebhook(in.Webhook); err != nil {
		return err
	}
	switch in.Backend {
	case fswatch.Auto, fswatch.Fanotify, fswatch.Inotify, fswatch.Poll:
	default:
		return Usagef("unknown watch backend %q (fanotify, inotify, poll)", in.Backend)
	}
	root, ok := in.Target.Dir()
	if !ok {
		return Usagef("fim watch needs a directory tree to watch (the host or --root DIR), not %s", in.Target.ID())
	}
	var warnMu sync.Mutex // the webhook's sender warns from its goroutine
	outer := a
	warn := func(err error) {
		warnMu.Lock()
		outer.warn(err)
		warnMu.Unlock()
	}
	a = &App{Getenv: outer.Getenv, UID: outer.UID, Version: outer.Version, Warn: warn}
	p, dbPath, err := a.fimSetup(in.FIMInput)
	if err != nil {
		return err
	}
	db, err := a.fimLoad(in.Target, dbPath, true)
	if err != nil {
		return err
	}
	t, err := openTarget(ctx, in.Target)
	if err != nil {
		return err
	}
	defer t.Close()
	em, closeEm, err := newEmitter(in.Events, in.Webhook, in.SyslogSocket, warn)
	if err != nil {
		return err
	}
	defer closeEm()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	roots, aliases := fimWatchRoots(t, root, p, warn)
	w, err := watchFiles(ctx, roots, fswatch.Options{Debounce: in.Debounce, Backend: in.Backend, Warn: warn,
		Prune: func(dir string) bool {
			tps := fimTargetPaths(root, aliases, []string{dir})
			return len(tps) == 0 || !p.Enter(tps[0])
		}})
	if err != nil {
		return Input(fmt.Errorf("fim watch: %w", err))
	}
	// The database is watched too: `fim update` replaces it, anything
	// else is tampering.
	dbw, err := watchFiles(ctx, []fswatch.Root{{Dir: filepath.Dir(dbPath), Names: []string{filepath.Base(dbPath)}}},
		fswatch.Options{Debounce: in.Debounce, Backend: dbBackend(in.Backend), Warn: warn})
	if err != nil {
		return Input(fmt.Errorf("fim watch %s: %w", dbPath, err))
	}
	if in.Ready != nil {
		in.Ready(w.Backend, len(roots))
	}
	identity := in.Target.ID()
	fail := func(err error) error {
		e := drift.NewEvent(drift.EventError, time.Now().UTC(), identity)
		e.Error = err.Error()
		em.emit(e)
		return err
	}
	k := newFIMTracker(p, db)
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-dbw.C:
			if !ok {
				return watchEnded(ctx, dbw, fail)
			}
			ndb, err := a.fimLoad(in.Target, dbPath, true)
			if err != nil {
				// `fim update` renames the new database into place just
				// before the change log records it: look again once.
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(dbSettle):
				}
				if ndb, err = a.fimLoad(in.Target, dbPath, true); err != nil {
					return fail(err)
				}
			}
			if ndb.Digest != k.db.Digest {
				k = newFIMTracker(p, ndb) // accepted: differences count from it
			}
		case b, ok := <-w.C:
			if !ok {
				return watchEnded(ctx, w, fail)
			}
			paths, trees := fimTargetPaths(root, aliases, b.Paths), fimTargetPaths(root, aliases, b.Rescan)
			changes, problems, err := k.batch(ctx, t, paths, trees)
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, context.Canceled) {
					return nil
				}
				warn(err)
				continue
			}
			for _, pr := range problems {
				warn(fmt.Errorf("%s: %s", pr.Path, pr.Error))
			}
			now := time.Now().UTC()
			for _, c := range changes {
				e := drift.NewEvent(drift.EventIntegrity, now, identity)
				if c.Resolved {
					e.Event = drift.EventResolved
				}
				e.Change = &c.Change
				em.emit(e)
			}
		}
	}
}

// watchEnded is the end of a watch whose batch channel closed: nil when
// it was stopped, else its failure (an internal error).
func watchEnded(ctx context.Context, w *fswatch.Watcher, fail func(error) error) error {
	if ctx.Err() != nil {
		return nil
	}
	err := w.Err()
	if err == nil {
		err = errors.New("file watching stopped")
	}
	return fail(fmt.Errorf("fim watch: %w", err))
}

// fimWatchRoots are the directories to watch for the policy's
// selections below root: a selected directory recursively, a selected
// file or symlink through its parent. Each is resolved through t, so a
// symlink in the target (even an absolute one) leads to its location in
// the tree, never on the host; aliases map a watched location back to
// the selection it stands for. Selections inside another are covered by
// it; those that do not exist are reported.
func fimWatchRoots(t target.Target, root string, p *fim.Policy, warn func(error)) ([]fswatch.Root, []watchAlias) {
	var out []fswatch.Root
	var aliases []watchAlias
	covered := func(hp string) bool {
		for _, r := range out {
			if r.Recursive && fswatch.Within(hp, r.Dir) {
				return true
			}
		}
		return false
	}
	host := func(rel string) (string, bool) {
		hp := filepath.Join(root, filepath.FromSlash(rel))
		_, ok := targetPath(root, hp)
		return hp, ok
	}
	byDir := map[string]int{} // parent directories watched for a name
	var missing []string
	defer func() {
		if len(missing) > 0 {
			warn(fmt.Errorf("fim watch: not watched, absent: %s", strings.Join(missing, ", ")))
		}
	}()
	// byName watches the file or symlink hp through its parent.
	byName := func(hp string) {
		dir := filepath.Dir(hp)
		if i, ok := byDir[dir]; ok {
			out[i].Names = append(out[i].Names, filepath.Base(hp))
			return
		}
		byDir[dir] = len(out)
		out = append(out, fswatch.Root{Dir: dir, Names: []string{filepath.Base(hp)}})
	}
	for _, s := range p.Selections { // sorted: an enclosing selection comes first
		rel, err := target.Resolve(t, s.Path, false) // the parents resolved, a final symlink kept
		var fi target.FileInfo
		if err == nil {
			fi, err = t.Lstat(rel)
		}
		if err == nil && fi.Mode&fs.ModeSymlink != 0 {
			// A selected directory that is a symlink: its tree is where
			// the changes happen, unless the policy selects that tree
			// under its own name (fim.SelectionLinks: recorded there);
			// the link itself is watched too.
			if real, rerr := target.Resolve(t, s.Path, true); rerr == nil {
				if rfi, serr := t.Lstat(real); serr == nil && rfi.Mode.IsDir() && p.For(target.Abs(real)) == nil &&
					!fswatch.Within(s.Path, target.Abs(real)) {
					if hp, ok := host(rel); ok && !covered(hp) {
						if target.Clean(s.Path) != target.Clean(rel) {
							aliases = append(aliases, watchAlias{host: hp, path: s.Path})
						}
						byName(hp)
					}
					rel, fi = real, rfi
				}
			}
		}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing = append(missing, s.Path)
			continue
		case err != nil:
			warn(fmt.Errorf("fim watch: %s is not watched: %w", s.Path, err))
			continue
		}
		hp, ok := host(rel)
		if !ok {
			warn(fmt.Errorf("fim watch: %s is not watched: it resolves outside the target", s.Path))
			continue
		}
		if covered(hp) {
			continue
		}
		if sel := target.Clean(s.Path); sel != target.Clean(rel) {
			aliases = append(aliases, watchAlias{host: hp, path: target.Abs(sel), dir: fi.Mode.IsDir()})
		}
		if fi.Mode.IsDir() {
			out = append(out, fswatch.Root{Dir: hp, Recursive: true})
			continue
		}
		byName(hp)
	}
	return out, aliases
}

// watchAlias maps a watched host path back to the selection (a target
// path) it was resolved from.
type watchAlias struct {
	host, path string
	dir        bool
}

// fimTargetPaths are the target paths of host paths below root, named
// as the selections they were watched for.
func fimTargetPaths(root string, aliases []watchAlias, hps []string) []string {
	out := make([]string, 0, len(hps))
	for _, hp := range hps {
		if tp, ok := aliasPath(aliases, hp); ok {
			out = append(out, tp)
		} else if tp, ok := targetPath(root, hp); ok {
			out = append(out, tp)
		}
	}
	return out
}

func aliasPath(aliases []watchAlias, hp string) (string, bool) {
	for _, a := range aliases {
		switch {
		case hp == a.host:
			return a.path, true
		case a.dir && fswatch.Within(hp, a.host):
			rel, err := filepath.Rel(a.host, hp)
			if err == nil {
				return path.Join(a.path, filepath.ToSlash(rel)), true
			}
		}
	}
	return "", false
}

// dbBackend watches the database with the backend for named files, or
// by polling when polling was asked for.
func dbBackend(b string) string {
	if b == fswatch.Poll {
		return fswatch.Poll
	}
	return fswatch.NamesBackend
}
