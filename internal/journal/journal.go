// Package journal applies a cradle fix plan to a writable target root
// through a write-ahead journal, so that every run can be rolled back
// byte-exactly, even one that was killed half-way.
//
// # Layout
//
// A Store is one directory per target ($CRADLE_HOME/runs/<target.Spec.Key>,
// mode 0700) holding a lock file and one directory per run:
//
//	<run-id>/run.json       the Run (replaced atomically on state changes)
//	<run-id>/journal.jsonl  append-only records, one JSON object a line
//	<run-id>/blobs/<sha256> prior file contents (0600)
//
// # Plan pinning
//
// Apply opens the target root once, without following a symlink at it,
// and only if it is the directory the plan was made against (Run.Root,
// device and inode); everything afterwards goes through that descriptor.
// Every change carries the state the plan saw at its path
// (remedy.PathChange.Seen). A path that differs from it — an edit made
// after planning — and a mode or owner change to a file with other hard
// links (they would change too, and may lie outside the target) are left
// alone, with every other path of their rules, and listed in Run.Skipped.
// The comparison is repeated on the state that is journaled and just
// before the rename, unlink or metadata change; a path that changed after
// it was journaled gets a "left" record, and Rollback never touches it.
//
// # Crash-safety protocol
//
// Before a path is touched, Apply durably records its prior state: whether
// it existed, its type, content (stored as a blob by SHA-256, unless the
// change sets only mode or owner: then only its digest), mode including
// setuid/setgid/sticky, owner, all readable extended attributes (user.,
// security., trusted., and system.posix_acl_* — that is, ACLs), atime and
// mtime, its device and inode, the parent directory's atime, mtime, device
// and inode, and the temporary name the change will use
// (".<base>.cradle-<run-id>-<random>", so nobody can plant anything there
// in advance). Blob, record and directories are fsynced before the record
// counts as written. Only then is the path changed, and only if its
// directory and the object in it are still the ones recorded:
//
//   - write: create the temporary file (exclusively) in the same
//     directory, write and fsync it, set owner, extended attributes and
//     mode on it (an existing file keeps its owner, mode and xattrs unless
//     the plan sets them), rename it over the path, fsync the directory;
//   - symlink: temporary symlink, owner, rename, directory fsync;
//   - mkdir, remove, meta (mode/owner in place): the operation, then fsync.
//
// A "done" record with the path's resulting state (type, mode, owner,
// content hash, link target, xattrs) follows each change; runtime changes
// (sysctl values, packages) are recorded before RuntimeApplier.Apply runs
// and their previous value after. The run's state becomes "applied" at the
// end; a run killed in between stays "applying".
//
// Rollback works from the records alone, whether or not the run finished.
// Runtime changes are reverted first (newest first); one interrupted
// before its previous state was recorded is reverted to the state it
// started from (a removed package was installed, an installed one absent,
// a sysctl had its planned old value), and when that is unknown the run is
// not marked rolled back. Then, newest record first, every existing path
// gets its bytes (atomically, via a temporary file and rename), mode,
// owner, xattrs and times back; paths the run created are removed,
// directories after files and deepest first; leftover temporary files
// (rollback journals its own before creating them) are deleted. Directory
// times are restored last, deepest first, from the earliest record that
// saw each directory, so a tree hash that includes directory mtimes
// matches the original exactly.
// Each restored path is recorded, which makes rollback resumable: a killed
// rollback is simply run again, and rolling back a rolled-back run does
// nothing (RollbackResult.Already). A path already in its prior state is
// not touched; a path that cannot be restored is reported
// (IncompleteError) and the rest is restored all the same. Undoing a mode
// or owner change restores those on the current content, never older
// content, and no mode or owner is set in place on a multiply-linked file
// that is not the inode the run changed.
//
// Before restoring, Rollback compares every finished path with the state the
// run left. A path that matches neither that state nor its prior state was
// changed by someone else; unless forced, Rollback then fails with
// ErrChanged naming those paths and restores nothing. Paths the run was
// interrupted on are not compared: their state is the run's own.
//
// Target paths are never resolved through a symlink: a local user who can
// write to a directory in the target could otherwise swap a directory for
// a symlink between journaling and acting and redirect a chmod, write or
// restore to another file. The directory holding a path is opened with
// openat2 RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH (or, where that is
// unavailable, component by component with O_NOFOLLOW), and every change is
// made relative to it with *at calls that do not follow a final symlink,
// or on a descriptor opened with O_NOFOLLOW and checked to be the recorded
// object; extended attributes are read and written on such descriptors. A
// symlink on the way is an error naming it, for Rollback too, forced or
// not. One apply or rollback runs per store at a time (an exclusive lock
// on the store's lock file).
//
// The journal needs Linux file semantics (owners, xattrs, nanosecond
// times); elsewhere Apply and Rollback report errors.ErrUnsupported.
package journal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/remedy"
)

// Run states.
const (
	StateApplying   = "applying" // in progress, or interrupted
	StateApplied    = "applied"
	StateFailed     = "failed"
	StateRolledBack = "rolled_back"
)

// Run describes one application of a fix plan.
type Run struct {
	ID           string     `json:"id"` // sortable, e.g. 20261127T153000Z-1a2b
	Time         time.Time  `json:"time"`
	User         string     `json:"user"` // OS user
	Actor        string     `json:"actor,omitempty"`
	ChangeRef    string     `json:"change_ref,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	Target       string     `json:"target"`
	Rules        []string   `json:"rules"`
	Ops          int        `json:"operations"`
	State        string     `json:"state"` // see the State constants
	RolledBackAt *time.Time `json:"rolled_back_at,omitempty"`
	Paths        []string   `json:"paths"` // absolute in target, the ones the run changed
	// Root is the identity of the target root the plan was made against;
	// Apply requires it and Rollback refuses any other directory.
	Root *remedy.RootID `json:"root,omitempty"`
	// Skipped lists the planned paths Apply refused to change.
	Skipped []Skip `json:"skipped,omitempty"`
}

// Skip is a planned path Apply left alone, and why: it changed since the
// plan (an edit that would be lost), it has other hard links, or a rule
// it shares with such a path was skipped.
type Skip struct {
	Path   string   `json:"path"` // absolute in target
	Rules  []string `json:"rules,omitempty"`
	Reason string   `json:"reason"`
}

// RuntimeApplier makes and reverts live-host changes that are not files
// (sysctl values, package actions). The caller implements it.
type RuntimeApplier interface {
	Apply(ctx context.Context, rc remedy.Runtime) (old string, err error)
	Revert(ctx context.Context, rc remedy.Runtime, old string) error
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Step is called at every write step (step name, root-relative path);
	// fault-injection tests kill the process there.
	Step func(step, path string)
	// Runtime makes runtime changes; nil makes them an error.
	Runtime RuntimeApplier
}

// RollbackOptions tune Rollback.
type RollbackOptions struct {
	// Force restores paths changed since the run too.
	Force   bool
	Step    func(step, path string)
	Runtime RuntimeApplier
}

// RollbackResult says what a rollback did (absolute paths in the target).
type RollbackResult struct {
	Run      *Run
	Restored []string
	Removed  []string
	// Failed lists what could not be restored, and why; the rollback went
	// on with everything else and the run is not marked rolled back.
	Failed []Failure
	// Already is set when the run had been rolled back before: nothing
	// was done.
	Already bool
}

// Failure is a path (or runtime change) a rollback could not restore.
type Failure struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
	Err    error  `json:"-"`
}

// ErrIncomplete is returned (wrapped in an *IncompleteError) when a
// rollback restored what it could but not everything.
var ErrIncomplete = errors.New("rollback incomplete")

// IncompleteError lists what a rollback could not restore.
type IncompleteError struct {
	Failed []Failure
}

func (e *IncompleteError) Error() string {
	parts := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		parts[i] = f.Path + ": " + f.Reason
	}
	return fmt.Sprintf("%s, not restored: %s", ErrIncomplete, strings.Join(parts, "; "))
}

// Unwrap gives ErrIncomplete and the error of every failure.
func (e *IncompleteError) Unwrap() []error {
	out := []error{ErrIncomplete}
	for _, f := range e.Failed {
		if f.Err != nil {
			out = append(out, f.Err)
		}
	}
	return out
}

// ErrRootChanged is returned when the target root is not the directory
// the plan (or the run) was made on, or is a symlink.
var ErrRootChanged = errors.New("target root changed")

// ErrChanged is returned (wrapped in a *ChangedError) when paths differ
// from the state the run left them in.
var ErrChanged = errors.New("changed since the run")

// ErrBusy is returned when another apply or rollback holds the store.
var ErrBusy = errors.New("another apply or rollback is running for this target")

// ChangedError lists the paths changed since the run.
type ChangedError struct {
	Paths []string // absolute in target
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("%s: %s (use force to restore anyway)", ErrChanged, strings.Join(e.Paths, ", "))
}

func (e *ChangedError) Unwrap() error { return ErrChanged }

// Store keeps the runs of one target.
type Store struct {
	dir string
}

// Open opens (creating it 0700 when missing) the store in dir.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal store: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("journal store: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("journal store %s: not a directory", dir)
	}
	return &Store{dir: dir}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

var idRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]*$`)

func validID(id string) error {
	if !idRE.MatchString(id) || strings.Contains(id, "..") || len(id) > 100 {
		return fmt.Errorf("invalid run id %q", id)
	}
	return nil
}

// NewID returns an unused, sortable run id for now.
func (s *Store) NewID(now time.Time) string {
	for {
		var b [2]byte
		_, _ = rand.Read(b[:])
		id := now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
		if _, err := os.Lstat(filepath.Join(s.dir, id)); errors.Is(err, fs.ErrNotExist) {
			return id
		}
	}
}

func (s *Store) runDir(id string) string { return filepath.Join(s.dir, id) }

// Get returns the run id; the error wraps fs.ErrNotExist for unknown ids.
func (s *Store) Get(id string) (*Run, error) {
	if err := validID(id); err != nil {
		return nil, fmt.Errorf("run %q: %w", id, fs.ErrNotExist)
	}
	b, err := os.ReadFile(filepath.Join(s.runDir(id), "run.json"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("run %s: %w", id, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("run %s: %w", id, err)
	}
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("run %s: run.json: %w", id, err)
	}
	return &r, nil
}

// List returns the store's runs, newest first.
func (s *Store) List() ([]Run, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("journal store: %w", err)
	}
	var out []Run
	for _, e := range ents {
		if !e.IsDir() || validID(e.Name()) != nil {
			continue
		}
		r, err := s.Get(e.Name())
		if errors.Is(err, fs.ErrNotExist) {
			continue // a run directory whose run.json was never written
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Run) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out, nil
}

func (s *Store) saveRun(r *Run) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := fileutil.WriteAtomic(filepath.Join(s.runDir(r.ID), "run.json"), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("run %s: %w", r.ID, err)
	}
	return nil
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return strconv.Itoa(os.Getuid())
}

func step(f func(string, string), name, p string) {
	if f != nil {
		f(name, p)
	}
}
