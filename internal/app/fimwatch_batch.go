package app

import (
	"context"
	"encoding/json"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/fim"
	"github.com/cradle-cra/cradle/internal/fswatch"
	"github.com/cradle-cra/cradle/internal/target"
)

// fimTracker compares what a watcher says changed with the integrity
// database, remembering what it announced so an entry that keeps
// changing the same way is reported once.
type fimTracker struct {
	p     *fim.Policy
	db    *fim.DB
	index map[string]*fim.Entry
	// shown is the announced difference of each path (its JSON).
	shown map[string]string
}

func newFIMTracker(p *fim.Policy, db *fim.DB) *fimTracker {
	return &fimTracker{p: p, db: db, index: db.Index(), shown: map[string]string{}}
}

// fimChange is one thing to announce: a difference (Resolved false) or
// the end of one announced before.
type fimChange struct {
	fim.Change
	Resolved bool
}

// batch records the paths and subtrees (as seen from the target root)
// through t and returns what to announce; problems are the paths that
// could not be read.
func (k *fimTracker) batch(ctx context.Context, t target.Target, paths, trees []string) ([]fimChange, []fim.Problem, error) {
	// A directory's own mtime and ctime change with its listing: its
	// parent is recorded too, as a check would see it.
	set := map[string]bool{}
	for _, p := range paths {
		set[p] = true
		set[path.Dir(p)] = true
	}
	for _, tr := range trees {
		set[path.Dir(tr)] = true
	}
	paths = paths[:0:0]
	for p := range set {
		if !underAny(p, trees) {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	snap, err := fim.Record(ctx, t, k.p, paths, trees, k.index)
	if err != nil {
		return nil, nil, err
	}
	// The recorded side of the same paths and subtrees.
	oldSet := map[string]*fim.Entry{}
	for _, p := range paths {
		if e, ok := k.index[p]; ok {
			oldSet[p] = e
		}
	}
	for _, tr := range trees {
		es := k.db.Entries
		i := sort.Search(len(es), func(i int) bool { return es[i].Path >= tr })
		for ; i < len(es) && strings.HasPrefix(es[i].Path, tr); i++ {
			if fswatch.Within(es[i].Path, tr) {
				oldSet[es[i].Path] = es[i]
			}
		}
	}
	old := make([]*fim.Entry, 0, len(oldSet))
	// Every path looked at: one announced before and absent from both
	// sides now (an added file deleted again) is back to its state.
	affected := map[string]bool{}
	for _, p := range paths {
		affected[p] = true
	}
	for p := range k.shown {
		if underAny(p, trees) {
			affected[p] = true
		}
	}
	for p, e := range oldSet {
		old = append(old, e)
		affected[p] = true
	}
	sort.Slice(old, func(i, j int) bool { return old[i].Path < old[j].Path })
	for _, e := range snap.Entries {
		affected[e.Path] = true
	}
	var out []fimChange
	differs := map[string]bool{}
	for _, c := range fim.Compare(old, snap.Entries, k.p) {
		differs[c.Path] = true
		b, _ := json.Marshal(c)
		if k.shown[c.Path] != string(b) {
			k.shown[c.Path] = string(b)
			out = append(out, fimChange{Change: c})
		}
	}
	// What could not be read now compares equal only for lack of a
	// value: it is not back to its recorded state.
	unknown := map[string]bool{}
	for _, e := range snap.Entries {
		if e.Error != "" {
			unknown[e.Path] = true
		}
	}
	for _, pr := range snap.Problems {
		unknown[pr.Path] = true
	}
	out = append(out, k.resolved(affected, differs, unknown)...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, snap.Problems, nil
}

// resolved ends the announcements of the affected paths that no longer
// differ, unless what they are now is unknown (unreadable).
func (k *fimTracker) resolved(affected, differs, unknown map[string]bool) []fimChange {
	var out []fimChange
	for p := range affected {
		if prev, ok := k.shown[p]; ok && !differs[p] && !unknown[p] {
			delete(k.shown, p)
			var c fim.Change
			_ = json.Unmarshal([]byte(prev), &c)
			out = append(out, fimChange{Change: fim.Change{Path: p, Kind: c.Kind, Type: c.Type}, Resolved: true})
		}
	}
	return out
}

func underAny(p string, trees []string) bool {
	for _, tr := range trees {
		if fswatch.Within(p, tr) {
			return true
		}
	}
	return false
}

// targetPath is the path as seen from the target root of the host path
// hp below root, or false when it is outside.
func targetPath(root, hp string) (string, bool) {
	rel, err := filepath.Rel(root, hp)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	if rel == "." {
		return "/", true
	}
	return "/" + filepath.ToSlash(rel), true
}
