package fim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/cradle-cra/cradle/internal/target"
)

// Record records, as Walk would, the entries the policy selects among
// paths and in the subtrees trees (absolute paths as seen from the target
// root): what a watcher was told changed. Files named in paths are
// always hashed: a change was signalled, so metadata must not vouch for
// content. In trees (re-read because events were lost, possibly whole
// filesystems) a file whose metadata matches its entry in prev keeps
// that entry's digests, as a check does. A path that does not exist has
// no entry. Entries come sorted by path.
func Record(ctx context.Context, t target.Target, p *Policy, paths, trees []string, prev map[string]*Entry) (*Snapshot, error) {
	op, err := target.OpenBulk(t)
	if err != nil {
		return nil, fmt.Errorf("fim record: %w", err)
	}
	defer op.Close()
	snap := &Snapshot{}
	seen := map[string]bool{}
	var mu sync.Mutex // the walk calls back from several goroutines
	// One walker records entries exactly as Walk does (names, extended
	// attributes, one filesystem); add runs on one goroutine at a time.
	w := &walker{t: t, p: p, op: op, image: t.Kind() == target.KindImage, snap: snap, rootDev: map[string]uint64{}}
	if p.wantsNames() {
		w.names = loadNames(t)
	}
	w.useLinks()
	hs := &hasher{}
	// add records fi (at its real path) named abs.
	add := func(fi target.FileInfo, abs string, prev *Entry) {
		if p.For(abs) == nil || seen[abs] {
			return
		}
		seen[abs] = true
		w.o.Previous = nil
		if prev != nil {
			w.o.Previous = map[string]*Entry{abs: prev}
		}
		e := w.recordAs(fi, abs)
		if e == nil {
			return
		}
		snap.Hashed++
		if err := hs.hashFile(ctx, op, fi.Path, nil, e, nil, &w.bytes); err != nil {
			e.SHA256, e.SHA512, e.BLAKE3, e.Error = "", "", "", err.Error()
			w.problem(abs, err)
		}
	}
	for _, abs := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		real := abs
		if r, ok := w.links.Real(abs); ok {
			real = r
		}
		fi, err := t.Lstat(strings.TrimPrefix(real, "/"))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			snap.Problems = append(snap.Problems, Problem{Path: abs, Error: err.Error()})
			continue
		}
		fi.Path = strings.TrimPrefix(real, "/")
		add(fi, abs, nil)
	}
	if len(trees) > 0 {
		// The walk descends only towards and into the trees; entries
		// outside them are ignored.
		in := func(abs string) bool {
			for _, tr := range trees {
				if within(abs, tr) {
					return true
				}
			}
			return false
		}
		// The walk goes where the trees really are: a tree named
		// through a link, or holding a linked selection, leads there.
		reals := append([]string(nil), trees...)
		for _, tr := range trees {
			if r, ok := w.links.Real(tr); ok {
				reals = append(reals, r)
			}
			reals = append(reals, w.links.realsUnder(tr)...)
		}
		inReal := func(abs string) bool {
			for _, tr := range reals {
				if within(abs, tr) {
					return true
				}
			}
			return false
		}
		towards := func(dir string) bool {
			for _, tr := range reals {
				if within(tr, dir) {
					return true
				}
			}
			return false
		}
		wopts := target.WalkOptions{
			LocalOnly: true,
			OnError: func(path string, err error) error {
				mu.Lock()
				defer mu.Unlock()
				snap.Problems = append(snap.Problems, Problem{Path: path, Error: err.Error()})
				return nil
			},
			Prune: func(dir string, _ target.DirProbe) string {
				abs := "/" + dir
				if (!inReal(abs) && !towards(abs)) || (!p.Enter(abs) && !w.links.Enter(abs)) {
					return "not watched"
				}
				return ""
			},
		}
		err := t.Walk(ctx, wopts, func(fi target.FileInfo) error {
			abs := "/" + fi.Path
			if !inReal(abs) {
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			if in(abs) {
				add(fi, abs, prev[abs])
			}
			for _, name := range w.links.aliases(fi) {
				if in(name) {
					add(fi, name, prev[name])
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("fim record: %w", err)
		}
	}
	snap.Reused, snap.Bytes = int(w.reused.Load()), w.bytes.Load()
	sort.Slice(snap.Entries, func(i, j int) bool { return snap.Entries[i].Path < snap.Entries[j].Path })
	return snap, nil
}
