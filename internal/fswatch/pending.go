package fswatch

import (
	"path/filepath"
	"slices"
	"strings"
)

// pending collects the changes of one batch.
type pending struct {
	paths, rescan map[string]bool
	cached        *Batch
}

func newPending() *pending {
	return &pending{paths: map[string]bool{}, rescan: map[string]bool{}}
}

func (p *pending) empty() bool { return len(p.paths) == 0 && len(p.rescan) == 0 }

func (p *pending) add(c change) {
	p.cached = nil
	if c.rescan {
		p.rescan[filepath.Clean(c.path)] = true
	} else {
		p.paths[filepath.Clean(c.path)] = true
	}
}

// batch is the normalised batch: nested rescans and paths below a rescan
// are dropped (the rescan covers them). The select that sends it
// evaluates it on every loop, so it is computed once per change.
func (p *pending) batch() Batch {
	if p.cached != nil {
		return *p.cached
	}
	var b Batch
	for _, r := range sortedKeys(p.rescan) {
		if parent := filepath.Dir(r); parent == r || !coveredBy(parent, p.rescan) {
			b.Rescan = append(b.Rescan, r)
		}
	}
	for _, path := range sortedKeys(p.paths) {
		if !coveredBy(path, p.rescan) {
			b.Paths = append(b.Paths, path)
		}
	}
	p.cached = &b
	return b
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// coveredBy reports whether path or one of its ancestors is in dirs.
func coveredBy(path string, dirs map[string]bool) bool {
	for {
		if dirs[path] {
			return true
		}
		parent := filepath.Dir(path)
		if parent == path {
			return false
		}
		path = parent
	}
}

// Within reports whether path is dir or below it (both clean).
func Within(path, dir string) bool {
	if path == dir || dir == "/" {
		return true
	}
	return strings.HasPrefix(path, dir) && path[len(dir)] == filepath.Separator
}
