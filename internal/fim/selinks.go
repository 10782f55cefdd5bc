package fim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/target"
)

// A selection whose path passes through a symlink (/lib -> usr/lib on a
// merged-/usr system, or a selected directory that is itself a link) is
// recorded under the path as the policy gives it: the walk never follows
// symlinks, so the entries are read at the real location the path
// resolves to inside the target (chroot semantics: a link can never lead
// out of the root) and named as the selection. A link that is the
// selected path itself is recorded as the link (so retargeting it is a
// change), and what lies below it is the directory it resolves to. When
// that directory is selected under its own name, its content is recorded
// there only, not twice. Walk, Record (the watch) and the hashing open
// all work on the real paths, so they agree.

// Links maps real target paths (absolute, as seen from the target root)
// to the selection paths they are recorded under. The zero value maps
// nothing.
type Links struct {
	spans []linkSpan
}

// linkSpan names real, and (below) what lies under it, as sel.
type linkSpan struct {
	real, sel string
	// root names real itself as sel; below names real/x as sel/x.
	root, below bool
}

// SelectionLinks resolves the policy's selections through t. Problems
// are selections that cannot be resolved (a symlink loop); a selection
// that does not exist is not one.
func SelectionLinks(t target.Target, p *Policy) (*Links, []Problem) {
	l := &Links{}
	var probs []Problem
	for _, s := range p.Selections {
		if s.Path == "/" {
			continue
		}
		linkRel, err := target.Resolve(t, s.Path, false)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				probs = append(probs, Problem{Path: s.Path, Error: err.Error()})
			}
			continue
		}
		linkAbs := target.Abs(linkRel)
		fi, err := t.Lstat(linkRel)
		if err != nil {
			continue // absent: nothing to record
		}
		isLink := fi.Mode&fs.ModeSymlink != 0
		if linkAbs != s.Path && p.For(linkAbs) == nil {
			// Only the parents are links: the entry at the real path is
			// the selection's own, and if a directory, so is its tree.
			l.spans = append(l.spans, linkSpan{real: linkAbs, sel: s.Path, root: true, below: !isLink && fi.Mode.IsDir()})
		}
		if !isLink {
			continue
		}
		realRel, err := target.Resolve(t, s.Path, true)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				probs = append(probs, Problem{Path: s.Path, Error: fmt.Sprintf("the selected symlink does not resolve: %v", err)})
			}
			continue
		}
		realAbs := target.Abs(realRel)
		rfi, err := t.Lstat(realRel)
		if err != nil || !rfi.Mode.IsDir() || p.For(realAbs) != nil || within(s.Path, realAbs) {
			// A file, a directory recorded under its own name, or one
			// that contains the link (a loop): the link alone.
			continue
		}
		l.spans = append(l.spans, linkSpan{real: realAbs, sel: s.Path, below: true})
	}
	sort.Slice(l.spans, func(i, j int) bool { return l.spans[i].real < l.spans[j].real })
	return l, probs
}

// Aliases returns the selection paths the real path abs is recorded
// under besides its own name.
func (l *Links) Aliases(abs string) []string {
	if l == nil || len(l.spans) == 0 {
		return nil
	}
	var out []string
	for _, s := range l.spans {
		var name string
		switch {
		case abs == s.real:
			if !s.root {
				continue
			}
			name = s.sel
		case s.below && within(abs, s.real):
			name = s.sel + abs[len(strings.TrimSuffix(s.real, "/")):]
		default:
			continue
		}
		dup := false
		for _, o := range out {
			dup = dup || o == name
		}
		if !dup {
			out = append(out, name)
		}
	}
	return out
}

// Real returns the real path a selection-named path abs stands for, or
// false when abs is not named through a link.
func (l *Links) Real(abs string) (string, bool) {
	if l == nil {
		return "", false
	}
	best := -1
	for i, s := range l.spans {
		if (abs == s.sel && s.root) || (s.below && abs != s.sel && within(abs, s.sel)) {
			if best < 0 || len(s.sel) > len(l.spans[best].sel) {
				best = i
			}
		}
	}
	if best < 0 {
		return "", false
	}
	s := l.spans[best]
	if abs == s.sel {
		return s.real, true
	}
	return strings.TrimSuffix(s.real, "/") + abs[len(s.sel):], true
}

// Enter reports whether a walk must descend into the real directory dir
// to find what a link names.
func (l *Links) Enter(dir string) bool {
	if l == nil {
		return false
	}
	for _, s := range l.spans {
		if within(s.real, dir) || (s.below && within(dir, s.real)) {
			return true
		}
	}
	return false
}

// dev records, for one-filesystem selections, the device of each
// linked selection's real directory: its tree is what the selection
// holds.
func (l *Links) devs(t target.Target, rootDev map[string]uint64) {
	if l == nil {
		return
	}
	for _, s := range l.spans {
		if !s.below {
			continue
		}
		if fi, err := t.Lstat(strings.TrimPrefix(s.real, "/")); err == nil {
			rootDev[s.sel] = fi.Dev
		}
	}
}

// useLinks resolves the selections named through symlinks before a walk.
func (w *walker) useLinks() {
	var probs []Problem
	w.links, probs = SelectionLinks(w.t, w.p)
	w.snap.Problems = append(w.snap.Problems, probs...)
	w.links.devs(w.t, w.rootDev)
}

// aliases are the other names of the walked entry fi (nothing, without
// allocating, when no selection is named through a link).
func (l *Links) aliases(fi target.FileInfo) []string {
	if l == nil || len(l.spans) == 0 {
		return nil
	}
	return l.Aliases("/" + fi.Path)
}

// queue hands e, when it is to be hashed, to the hashing workers.
func queue(ctx context.Context, jobs chan<- job, e *Entry, fi target.FileInfo, f *target.BulkFile) error {
	if e == nil {
		return nil
	}
	j := job{e: e, rel: fi.Path, dev: fi.Dev}
	if f != nil {
		j.f, *f = *f, nil // the first job of an entry reads the file the walk opened
	}
	select {
	case jobs <- j:
		return nil
	case <-ctx.Done():
		if j.f != nil {
			j.f.Close()
		}
		return ctx.Err()
	}
}

// realsUnder are the real paths of the linked selections at or below
// abs.
func (l *Links) realsUnder(abs string) []string {
	if l == nil {
		return nil
	}
	var out []string
	for _, s := range l.spans {
		if within(s.sel, abs) {
			out = append(out, s.real)
		}
	}
	return out
}
