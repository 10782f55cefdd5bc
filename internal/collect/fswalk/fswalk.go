// Package fswalk collects the filesystem-wide facts of a target in one
// walk: world-writable files, world-writable directories without the
// sticky bit, setuid/setgid files and files whose owner or group is not in
// the target's account database. Lists are bounded (the lexicographically
// first paths are kept, so output does not depend on walk order) while
// totals stay exact, keeping memory flat on hosts with millions of files.
// Other systems' trees (others.go) are not entered by default.
package fswalk

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
)

// Key is the fact-store key of the default walk; KeyOthersEntered that of
// the walk that also enters other systems' trees.
const (
	Key              = "fswalk"
	KeyOthersEntered = "fswalk.others-entered"
)

// Bounds on the paths kept per list.
const (
	MaxKept      = 1000
	MaxSetIDKept = 10000 // allow-lists need the whole inventory
	MaxErrors    = 20
	MaxTreesKept = 1000
)

// Skip lists the directories the walk never enters: runtime state.
var Skip = []string{"proc", "sys", "dev", "run"}

// SystemDirs are the directories of system programs and libraries whose
// entries (themselves included) the walk inventories for ownership and
// write permission. A symlinked one (/bin -> usr/bin on a merged /usr)
// is covered by its target's walk.
var SystemDirs = []string{
	"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin",
	"/lib", "/lib64", "/usr/lib", "/usr/lib64",
}

// systemDirsRel are SystemDirs root-relative, for matching walk paths.
var systemDirsRel = func() []string {
	out := make([]string, len(SystemDirs))
	for i, d := range SystemDirs {
		out[i] = target.Clean(d)
	}
	return out
}()

// InSystemDir reports whether the root-relative path rel is one of the
// SystemDirs or below one.
func InSystemDir(rel string) bool {
	if rel == "" || (rel[0] != 'b' && rel[0] != 's' && rel[0] != 'l' && rel[0] != 'u') {
		return false
	}
	for _, d := range systemDirsRel {
		if strings.HasPrefix(rel, d) && (len(rel) == len(d) || rel[len(d)] == '/') {
			return true
		}
	}
	return false
}

// Options choose what the walk enters.
type Options struct {
	// EnterOthers walks into other systems' trees too; they are still
	// listed in Facts.Others.
	EnterOthers bool
}

func (o Options) key() string {
	if o.EnterOthers {
		return KeyOthersEntered
	}
	return Key
}

// Entry is one file found by the walk.
type Entry struct {
	Path string      `json:"path"` // absolute within the target, "/usr/bin/su"
	Mode fs.FileMode `json:"mode"`
	UID  uint32      `json:"uid"`
	GID  uint32      `json:"gid"`
}

// List is a bounded, sorted list of entries with the exact total.
type List struct {
	Total   int     `json:"total"`
	Entries []Entry `json:"entries"`
}

// Truncated reports whether entries were dropped for the bound.
func (l *List) Truncated() bool { return l.Total > len(l.Entries) }

// Facts are the filesystem-wide facts of a target.
type Facts struct {
	// Entries counts the files, directories and other entries walked.
	Entries int64 `json:"entries"`
	// Skipped are the directories not entered (besides pseudo, volatile
	// and remote mounts on a live host, and other systems' trees).
	Skipped []string `json:"skipped"`
	// Others are the other systems' trees the walk met: not entered
	// unless OthersEntered.
	Others        TreeList `json:"other_systems"`
	OthersEntered bool     `json:"other_systems_entered,omitempty"`
	// WorldWritableFiles are regular files writable by others.
	WorldWritableFiles List `json:"world_writable_files"`
	// WorldWritableDirs are directories writable by others without the
	// sticky bit (anyone may delete or replace anyone's files there).
	WorldWritableDirs List `json:"world_writable_dirs"`
	// SetID are regular files with the setuid or setgid bit.
	SetID List `json:"setid"`
	// Unowned are entries whose uid or gid is in neither passwd nor group.
	Unowned List `json:"unowned"`
	// SystemWritable are files and directories in SystemDirs (symlinks
	// aside) writable by their group or others; SystemNotRoot those whose
	// owner or group is not root (uid or gid not 0), for the checks to
	// judge against their allowed owners and system groups.
	SystemWritable List `json:"system_writable"`
	SystemNotRoot  List `json:"system_not_root"`
	// AccountsError says why Unowned could not be computed ("" when it was);
	// NoAccounts is set when that is because the target has no passwd
	// entries at all (a distroless image).
	AccountsError string `json:"accounts_error,omitempty"`
	NoAccounts    bool   `json:"no_accounts,omitempty"`
	// Unreadable are paths the walk could not read, with the error.
	Unreadable []Unreadable `json:"unreadable,omitempty"`
	// UnreadableTotal counts them all.
	UnreadableTotal int `json:"unreadable_total"`
}

// Unreadable is a path the walk could not read.
type Unreadable struct {
	Path string `json:"path"`
	Err  string `json:"error"`
}

// Get returns the memoised facts of the default walk, built on the
// store's account database.
func Get(s *facts.Store) (*Facts, error) { return GetWith(s, Options{}) }

// GetWith returns the memoised facts of the walk o describes.
func GetWith(s *facts.Store, o Options) (*Facts, error) {
	return facts.Get(s, o.key(), func(ctx context.Context, s *facts.Store) (*Facts, error) { return collect(ctx, s, o) })
}

// Collect walks t once and computes every fact.
func Collect(ctx context.Context, t target.Target) (*Facts, error) {
	return collect(ctx, facts.NewStore(ctx, t), Options{})
}

func collect(ctx context.Context, s *facts.Store, o Options) (*Facts, error) {
	t := s.Target()
	// An unreadable account database is recorded in the facts (the
	// unowned-files check cannot run), not fatal to the walk.
	db, dbErr := accounts.Get(s)
	a := NewAccumulator(db, dbErr)
	pr := newPruner(o.EnterOthers)
	opts := target.WalkOptions{Skip: Skip, LocalOnly: true, OnError: a.Error, Prune: pr.prune}
	if err := t.Walk(ctx, opts, a.Add); err != nil {
		return nil, fmt.Errorf("walk %s: %w", t.Name(), err)
	}
	f := a.Facts()
	f.Others, f.OthersEntered = pr.list(), o.EnterOthers
	f.Skipped = make([]string, len(Skip))
	for i, p := range Skip {
		f.Skipped[i] = target.Abs(p)
	}
	return f, nil
}

// Accumulator computes the facts from walk entries; Add and Error are safe
// for concurrent use.
type Accumulator struct {
	entries   atomic.Int64
	unowned   bool
	uids      idSet
	gids      idSet
	dbErr     string
	noDB      bool
	ww, wwd   bounded[Entry]
	setid     bounded[Entry]
	noOwner   bounded[Entry]
	sysW      bounded[Entry]
	sysOwner  bounded[Entry]
	errMu     sync.Mutex
	errs      []Unreadable
	errsTotal int
}

// NewAccumulator prepares an accumulator; with a nil db (or dbErr set)
// ownership is not checked.
func NewAccumulator(db *accounts.DB, dbErr error) *Accumulator {
	a := &Accumulator{
		ww: bounded[Entry]{max: MaxKept}, wwd: bounded[Entry]{max: MaxKept},
		setid: bounded[Entry]{max: MaxSetIDKept}, noOwner: bounded[Entry]{max: MaxKept},
		sysW: bounded[Entry]{max: MaxSetIDKept}, sysOwner: bounded[Entry]{max: MaxSetIDKept},
	}
	switch {
	case dbErr != nil:
		a.dbErr = "account database: " + dbErr.Error()
	case db == nil || len(db.Users) == 0:
		a.dbErr, a.noDB = "the target has no /etc/passwd entries", true
	default:
		a.unowned = true
		for _, u := range db.Users {
			a.uids.add(u.UID)
		}
		for _, g := range db.Groups {
			a.gids.add(g.GID)
		}
	}
	return a
}

// Add classifies one entry.
func (a *Accumulator) Add(fi target.FileInfo) error {
	a.entries.Add(1)
	m := fi.Mode
	switch {
	case m.IsRegular():
		if m&0o002 != 0 {
			addEntry(&a.ww, fi)
		}
		if m&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
			addEntry(&a.setid, fi)
		}
	case m.IsDir():
		if m&0o002 != 0 && m&fs.ModeSticky == 0 {
			addEntry(&a.wwd, fi)
		}
	}
	if a.unowned && !(a.uids.has(fi.UID) && a.gids.has(fi.GID)) {
		addEntry(&a.noOwner, fi)
	}
	if m&fs.ModeSymlink == 0 && InSystemDir(fi.Path) {
		if m&0o022 != 0 {
			addEntry(&a.sysW, fi)
		}
		if fi.UID != 0 || fi.GID != 0 {
			addEntry(&a.sysOwner, fi)
		}
	}
	return nil
}

// Error records an unreadable path; the walk goes on.
func (a *Accumulator) Error(p string, err error) error {
	a.errMu.Lock()
	defer a.errMu.Unlock()
	a.errsTotal++
	if len(a.errs) < MaxErrors {
		a.errs = append(a.errs, Unreadable{Path: target.Abs(p), Err: unwrap(err)})
	}
	return nil
}

func unwrap(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// Facts returns what was accumulated.
func (a *Accumulator) Facts() *Facts {
	f := &Facts{
		Entries:            a.entries.Load(),
		WorldWritableFiles: entryList(&a.ww),
		WorldWritableDirs:  entryList(&a.wwd),
		SetID:              entryList(&a.setid),
		Unowned:            entryList(&a.noOwner),
		SystemWritable:     entryList(&a.sysW),
		SystemNotRoot:      entryList(&a.sysOwner),
		AccountsError:      a.dbErr,
		NoAccounts:         a.noDB,
	}
	a.errMu.Lock()
	f.Unreadable = slices.Clone(a.errs)
	f.UnreadableTotal = a.errsTotal
	a.errMu.Unlock()
	slices.SortFunc(f.Unreadable, func(x, y Unreadable) int { return strings.Compare(x.Path, y.Path) })
	return f
}

// idSet answers "is this id known" for every entry of the walk: a bitmap
// for the usual ids below 65536, a map above.
type idSet struct {
	low  [1 << 10]uint64
	high map[uint32]bool
}

func (s *idSet) add(id uint32) {
	if id < 1<<16 {
		s.low[id>>6] |= 1 << (id & 63)
		return
	}
	if s.high == nil {
		s.high = map[uint32]bool{}
	}
	s.high[id] = true
}

func (s *idSet) has(id uint32) bool {
	if id < 1<<16 {
		return s.low[id>>6]&(1<<(id&63)) != 0
	}
	return s.high[id]
}

func (e Entry) key() string { return e.Path }

// bounded keeps the max lexicographically smallest keys in a max-heap.
type bounded[T interface{ key() string }] struct {
	mu    sync.Mutex
	max   int
	total int
	h     maxHeap[T]
}

// add counts one item and keeps it when its key is among the smallest;
// mk builds it only then.
func (b *bounded[T]) add(key string, mk func() T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total++
	full := len(b.h) >= b.max
	if full && (b.max == 0 || key >= b.h[0].key()) {
		return
	}
	if full {
		b.h[0] = mk()
		heap.Fix(&b.h, 0)
		return
	}
	heap.Push(&b.h, mk())
}

// list returns the total and the kept items in key order (never nil).
func (b *bounded[T]) list() (int, []T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := slices.Clone([]T(b.h))
	if out == nil {
		out = []T{}
	}
	slices.SortFunc(out, func(x, y T) int { return strings.Compare(x.key(), y.key()) })
	return b.total, out
}

func addEntry(b *bounded[Entry], fi target.FileInfo) {
	b.add("/"+fi.Path, func() Entry { return Entry{Path: target.Abs(fi.Path), Mode: fi.Mode, UID: fi.UID, GID: fi.GID} })
}

func entryList(b *bounded[Entry]) List {
	total, es := b.list()
	return List{Total: total, Entries: es}
}

type maxHeap[T interface{ key() string }] []T

func (h maxHeap[T]) Len() int           { return len(h) }
func (h maxHeap[T]) Less(i, j int) bool { return h[i].key() > h[j].key() }
func (h maxHeap[T]) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *maxHeap[T]) Push(x any)        { *h = append(*h, x.(T)) }
func (h *maxHeap[T]) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
