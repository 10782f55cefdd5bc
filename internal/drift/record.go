package drift

import (
	"io"
	"slices"
	"sync"

	"github.com/cradle-cra/cradle/internal/target"
)

// Access says how the checks used a path; a path can be used several ways.
type Access uint8

const (
	AccessOpen Access = 1 << iota
	AccessStat
	AccessLstat
	AccessList
	AccessReadlink
)

// Recorder is a target.Target that remembers every path opened, stat'ed,
// listed or read as a link, so a snapshot covers exactly what the rules
// looked at. Paths are recorded whether or not the operation succeeded: a
// file that was looked for and missing is part of the approved state too.
// Filesystem-wide walks pass through unrecorded; the rules built on them
// are covered by their statuses and observed values instead.
type Recorder struct {
	target.Target
	mu   sync.Mutex
	seen map[string]Access
}

// Record wraps t. The recorder is safe for concurrent use, as the engine
// evaluates rules in parallel.
func Record(t target.Target) *Recorder {
	return &Recorder{Target: t, seen: map[string]Access{}}
}

func (r *Recorder) note(name string, a Access) {
	p := target.Clean(name)
	r.mu.Lock()
	r.seen[p] |= a
	r.mu.Unlock()
}

func (r *Recorder) Open(name string) (io.ReadCloser, error) {
	r.note(name, AccessOpen)
	return r.Target.Open(name)
}

func (r *Recorder) Stat(name string) (target.FileInfo, error) {
	r.note(name, AccessStat)
	return r.Target.Stat(name)
}

func (r *Recorder) Lstat(name string) (target.FileInfo, error) {
	r.note(name, AccessLstat)
	return r.Target.Lstat(name)
}

func (r *Recorder) ReadDir(name string) ([]target.DirEntry, error) {
	r.note(name, AccessList)
	return r.Target.ReadDir(name)
}

func (r *Recorder) Readlink(name string) (string, error) {
	r.note(name, AccessReadlink)
	return r.Target.Readlink(name)
}

// Recorded is one recorded path.
type Recorded struct {
	Path   string
	Access Access
}

// Paths returns the recorded paths, sorted.
func (r *Recorder) Paths() []Recorded {
	r.mu.Lock()
	out := make([]Recorded, 0, len(r.seen))
	for p, a := range r.seen {
		out = append(out, Recorded{Path: p, Access: a})
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b Recorded) int {
		switch {
		case a.Path < b.Path:
			return -1
		case a.Path > b.Path:
			return 1
		}
		return 0
	})
	return out
}
