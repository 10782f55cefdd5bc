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
	add := func(fi target.FileInfo, prev *Entry) {
		abs := "/" + fi.Path
		sel := p.For(abs)
		if sel == nil || seen[abs] {
			return
		}
		seen[abs] = true
		snap.Entries = append(snap.Entries, recordEntry(t, op, abs, fi, sel, prev, snap))
	}
	for _, abs := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fi, err := t.Lstat(strings.TrimPrefix(abs, "/"))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			snap.Problems = append(snap.Problems, Problem{Path: abs, Error: err.Error()})
			continue
		}
		fi.Path = strings.TrimPrefix(abs, "/")
		add(fi, nil)
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
		towards := func(dir string) bool {
			for _, tr := range trees {
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
				if (!in(abs) && !towards(abs)) || !p.Enter(abs) {
					return "not watched"
				}
				return ""
			},
		}
		err := t.Walk(ctx, wopts, func(fi target.FileInfo) error {
			if in("/" + fi.Path) {
				mu.Lock()
				defer mu.Unlock()
				add(fi, prev["/"+fi.Path])
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("fim record: %w", err)
		}
	}
	sort.Slice(snap.Entries, func(i, j int) bool { return snap.Entries[i].Path < snap.Entries[j].Path })
	return snap, nil
}

// recordEntry is the entry of one path, hashed when sel wants digests
// and prev cannot lend them.
func recordEntry(t target.Target, op *target.BulkOpener, abs string, fi target.FileInfo, sel *Selection, prev *Entry, snap *Snapshot) *Entry {
	e := entryOf(abs, fi)
	if e.Type == TypeSymlink && sel.Has(AttrTarget) {
		l, err := t.Readlink(fi.Path)
		if err != nil {
			e.Error = err.Error()
			snap.Problems = append(snap.Problems, Problem{Path: abs, Error: err.Error()})
		}
		e.Target = l
	}
	if e.Type != TypeFile || !(sel.Has(AttrSHA256) || sel.Has(AttrSHA512) || sel.Has(AttrBLAKE3)) {
		return e
	}
	if !sel.Full && t.Kind() != target.KindImage && reuse(e, prev, sel) {
		snap.Reused++
		return e
	}
	if sel.Has(AttrSHA256) {
		e.SHA256 = "-"
	}
	if sel.Has(AttrSHA512) {
		e.SHA512 = "-"
	}
	if sel.Has(AttrBLAKE3) {
		e.BLAKE3 = "-"
	}
	n, err := hashFile(op, fi.Path, e)
	snap.Hashed++
	snap.Bytes += n
	if err != nil {
		e.SHA256, e.SHA512, e.BLAKE3, e.Error = "", "", "", err.Error()
		snap.Problems = append(snap.Problems, Problem{Path: abs, Error: err.Error()})
	}
	return e
}
