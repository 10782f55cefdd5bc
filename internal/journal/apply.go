package journal

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// Apply makes changes (then runtime changes rt) to the tree at root,
// journaling each before it happens. run carries the descriptive fields;
// ID, Time, User, Rules, Ops, Paths and State are filled in when empty or
// derived. A run that fails half-way is returned with State "failed" along
// with the error; Rollback undoes what it did.
func (s *Store) Apply(ctx context.Context, root string, run Run, changes []remedy.PathChange, rt []remedy.Runtime, opts ApplyOptions) (*Run, error) {
	if err := supported(); err != nil {
		return nil, err
	}
	if len(rt) > 0 && opts.Runtime == nil {
		return nil, errors.New("journal: the plan has runtime changes but no runtime applier was given")
	}
	if run.Time.IsZero() {
		run.Time = time.Now()
	}
	if run.ID == "" {
		run.ID = s.NewID(run.Time)
	}
	if err := validID(run.ID); err != nil {
		return nil, err
	}
	if run.User == "" {
		run.User = currentUser()
	}
	ps := make([]string, len(changes))
	for i, c := range changes {
		ps[i] = target.Clean(c.Path)
		if ps[i] == "" {
			return nil, fmt.Errorf("journal: cannot change the target root itself")
		}
	}
	if run.Rules == nil {
		for _, c := range changes {
			run.Rules = append(run.Rules, c.Rules...)
		}
		for _, c := range rt {
			run.Rules = append(run.Rules, c.Rules...)
		}
		slices.Sort(run.Rules)
		run.Rules = slices.Compact(run.Rules)
	}
	run.Ops = len(changes) + len(rt)
	run.Paths = nil
	for _, p := range ps {
		run.Paths = append(run.Paths, target.Abs(p))
	}
	run.State = StateApplying
	run.RolledBackAt = nil

	release, err := lockStore(s.dir)
	if err != nil {
		return nil, err
	}
	defer release()

	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("journal: open target: %w", err)
	}
	defer r.Close()
	// The plan was made against the tree as it was; refuse to start when a
	// path appeared or vanished since.
	for i, c := range changes {
		_, err := r.Lstat(ps[i])
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", target.Abs(ps[i]), err)
		}
		if exists != c.Existed {
			return nil, fmt.Errorf("%s: changed since the fix was planned (exists: %v, planned: %v)", target.Abs(ps[i]), exists, c.Existed)
		}
	}

	dir := s.runDir(run.ID)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: run %s: %w", run.ID, err)
	}
	if err := os.Mkdir(filepath.Join(dir, "blobs"), 0o700); err != nil {
		return nil, fmt.Errorf("journal: run %s: %w", run.ID, err)
	}
	j, err := openJournal(dir)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	if err := s.saveRun(&run); err != nil {
		return nil, err
	}
	for _, d := range []string{filepath.Join(dir, "blobs"), dir, s.dir} {
		if err := syncPath(d); err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
	}

	a := &applier{root: r, dir: dir, id: run.ID, j: j, step: opts.Step}
	fail := func(err error) (*Run, error) {
		run.State = StateFailed
		if serr := s.saveRun(&run); serr != nil {
			err = errors.Join(err, serr)
		}
		return &run, err
	}
	for i, c := range changes {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		c.Path = ps[i]
		if err := a.change(c); err != nil {
			return fail(fmt.Errorf("%s %s: %w", c.Action, target.Abs(c.Path), err))
		}
	}
	for _, c := range rt {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		if err := a.runtime(ctx, c, opts.Runtime); err != nil {
			return fail(fmt.Errorf("%s %s: %w", c.Kind, c.Key, err))
		}
	}
	run.State = StateApplied
	if err := s.saveRun(&run); err != nil {
		return &run, err
	}
	return &run, nil
}

type applier struct {
	root *os.Root
	dir  string
	id   string
	j    *journalFile
	seq  int
	step func(string, string)
}

func (a *applier) change(c remedy.PathChange) error {
	p := c.Path
	prior, data, err := readState(a.root, p)
	if err != nil {
		return err
	}
	if prior.Exists && prior.Type == typeFile {
		if _, err := putBlob(a.dir, data); err != nil {
			return err
		}
	}
	parent, err := timesOf(a.root, parentOf(p))
	if err != nil {
		return fmt.Errorf("parent directory: %w", err)
	}
	a.seq++
	seq := a.seq
	rec := record{Seq: seq, Kind: recBefore, Path: p, Action: c.Action, Prior: &prior, Parent: parent}
	if c.Action == remedy.ActWrite || c.Action == remedy.ActSymlink {
		rec.Tmp = tmpName(p, a.id, "")
	}
	if err := a.j.append(rec); err != nil {
		return err
	}
	step(a.step, "journal", p)

	switch c.Action {
	case remedy.ActWrite:
		err = a.write(c, &prior, rec.Tmp)
	case remedy.ActSymlink:
		err = a.symlink(c, &prior, rec.Tmp)
	case remedy.ActMkdir:
		err = a.mkdir(c, &prior)
	case remedy.ActRemove:
		err = a.remove(c, &prior)
	case remedy.ActMeta:
		err = a.meta(c, &prior)
	default:
		err = fmt.Errorf("unknown action %q", c.Action)
	}
	if err != nil {
		return err
	}

	after, _, err := readState(a.root, p)
	if err != nil {
		return err
	}
	if err := a.j.append(record{Seq: seq, Kind: recDone, Path: p, After: after.fingerprint()}); err != nil {
		return err
	}
	step(a.step, "done", p)
	return nil
}

// setMeta sets owner, extended attributes and mode on an open file, in the
// order that keeps them: chown clears setuid/setgid and file capabilities,
// and setting an ACL rewrites the group permission bits.
func setMeta(f *os.File, chown bool, uid, gid uint32, xattrs []xattr, setX bool, mode fs.FileMode, chmod bool) error {
	if chown {
		if err := f.Chown(int(uid), int(gid)); err != nil {
			return err
		}
	}
	if setX {
		if err := setXattrs(f, xattrs); err != nil {
			return err
		}
	}
	if chmod {
		if err := f.Chmod(mode); err != nil {
			return err
		}
	}
	return nil
}

// syncClose fsyncs f unless err is already set, closes it, and returns the
// first error.
func syncClose(f *os.File, err error) error {
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// renameInto moves the prepared temporary tmp over p and fsyncs the
// directory, announcing steps ready (before) and renamed (after).
func renameInto(r *os.Root, hook func(string, string), tmp, p, ready, renamed string) error {
	step(hook, ready, p)
	if err := r.Rename(tmp, p); err != nil {
		return err
	}
	if err := syncDir(r, parentOf(p)); err != nil {
		return err
	}
	step(hook, renamed, p)
	return nil
}

// removeSynced removes p and fsyncs its directory.
func removeSynced(r *os.Root, p string) error {
	if err := r.Remove(p); err != nil {
		return err
	}
	return syncDir(r, parentOf(p))
}

func (a *applier) write(c remedy.PathChange, prior *fileState, tmp string) error {
	if prior.Exists && prior.Type == typeDir {
		return errors.New("is a directory")
	}
	keep := prior.Exists && prior.Type == typeFile
	uid, gid, chown := c.UID, c.GID, c.OwnerSet
	if !chown && keep {
		uid, gid, chown = prior.UID, prior.GID, true
	}
	mode := c.Mode & remedy.PermMask
	if !c.ModeSet {
		mode = 0o644
		if keep {
			mode = prior.Mode
		}
	}
	f, err := a.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	half := len(c.Data) / 2
	_, err = f.Write(c.Data[:half])
	if err == nil {
		step(a.step, "tmp-write-half", c.Path)
		_, err = f.Write(c.Data[half:])
	}
	if err == nil {
		err = setMeta(f, chown, uid, gid, prior.Xattrs, keep, mode, true)
	}
	if err := syncClose(f, err); err != nil {
		return err
	}
	return renameInto(a.root, a.step, tmp, c.Path, "tmp-ready", "renamed")
}

func (a *applier) symlink(c remedy.PathChange, prior *fileState, tmp string) error {
	if prior.Exists && prior.Type == typeDir {
		return errors.New("is a directory")
	}
	if err := a.root.Symlink(c.Link, tmp); err != nil {
		return err
	}
	if c.OwnerSet {
		if err := a.root.Lchown(tmp, int(c.UID), int(c.GID)); err != nil {
			return err
		}
	}
	return renameInto(a.root, a.step, tmp, c.Path, "tmp-ready", "renamed")
}

func (a *applier) mkdir(c remedy.PathChange, prior *fileState) error {
	if prior.Exists {
		return errors.New("already exists")
	}
	if err := a.root.Mkdir(c.Path, 0o700); err != nil {
		return err
	}
	step(a.step, "mkdir", c.Path)
	f, err := openNoFollow(a.root, c.Path, true)
	if err != nil {
		return err
	}
	mode := c.Mode & remedy.PermMask
	if !c.ModeSet {
		mode = 0o755
	}
	if err := syncClose(f, setMeta(f, c.OwnerSet, c.UID, c.GID, nil, false, mode, true)); err != nil {
		return err
	}
	return syncDir(a.root, parentOf(c.Path))
}

func (a *applier) remove(c remedy.PathChange, prior *fileState) error {
	if !prior.Exists {
		return nil
	}
	if prior.Type == typeDir {
		return errors.New("is a directory")
	}
	if err := removeSynced(a.root, c.Path); err != nil {
		return err
	}
	step(a.step, "removed", c.Path)
	return nil
}

func (a *applier) meta(c remedy.PathChange, prior *fileState) error {
	if !prior.Exists {
		return fs.ErrNotExist
	}
	mode := prior.Mode
	if c.ModeSet {
		mode = c.Mode & remedy.PermMask
	}
	uid, gid := prior.UID, prior.GID
	if c.OwnerSet {
		uid, gid = c.UID, c.GID
	}
	switch prior.Type {
	case typeFile, typeDir:
		f, err := openNoFollow(a.root, c.Path, prior.Type == typeDir)
		if err != nil {
			return err
		}
		// A chown drops setuid bits and capabilities: put them back so
		// only what was asked for changes.
		if err := syncClose(f, setMeta(f, c.OwnerSet, uid, gid, prior.Xattrs, c.OwnerSet, mode, true)); err != nil {
			return err
		}
	default: // symlinks and special files: by name
		if c.OwnerSet {
			if err := a.root.Lchown(c.Path, int(uid), int(gid)); err != nil {
				return err
			}
		}
		if prior.Type != typeSymlink { // a symlink's mode means nothing
			if err := a.root.Chmod(c.Path, mode); err != nil {
				return err
			}
		}
	}
	step(a.step, "meta", c.Path)
	return nil
}

func (a *applier) runtime(ctx context.Context, c remedy.Runtime, rt RuntimeApplier) error {
	a.seq++
	seq := a.seq
	if err := a.j.append(record{Seq: seq, Kind: recRTBefore, Runtime: &c}); err != nil {
		return err
	}
	step(a.step, "journal", c.Key)
	old, err := rt.Apply(ctx, c)
	if err != nil {
		return err
	}
	if err := a.j.append(record{Seq: seq, Kind: recRTDone, Old: old}); err != nil {
		return err
	}
	step(a.step, "done", c.Key)
	return nil
}
