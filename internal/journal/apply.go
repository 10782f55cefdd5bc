//go:build linux

package journal

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// Apply makes changes (then runtime changes rt) to the tree at root,
// journaling each before it happens. run carries the descriptive fields
// and run.Root, the identity of the root the plan was made against
// (required: another directory at root is refused with ErrRootChanged);
// ID, Time, User, Rules, Ops, Paths, Skipped and State are filled in when
// empty or derived. A path that no longer matches its change's Seen state,
// or a mode or owner change to a multiply-linked file, is left alone with
// the rest of its rules and listed in Run.Skipped; the run goes on. A run
// that fails half-way is returned with State "failed" along with the
// error; Rollback undoes what it did.
func (s *Store) Apply(ctx context.Context, root string, run Run, changes []remedy.PathChange, rt []remedy.Runtime, opts ApplyOptions) (*Run, error) {
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
	run.State = StateApplying
	run.RolledBackAt = nil
	run.Skipped = nil
	if run.Root == nil {
		return nil, errors.New("journal: the plan carries no identity of the target root")
	}

	release, err := lockStore(s.dir)
	if err != nil {
		return nil, err
	}
	defer release()

	// Everything before this point is planning: a root, file or directory
	// swapped from here on is caught below.
	step(opts.Step, "start", "")
	t, err := openTree(root, run.Root)
	if err != nil {
		return nil, fmt.Errorf("journal: open target: %w", err)
	}
	defer t.Close()
	// The plan was made against the tree as it was: a path that changed
	// since is left alone (an edit made after planning must not be lost),
	// and so is the rest of every rule that changes it. A path that now
	// lies beyond a symlink stops the run before anything is written.
	sk := newSkips(changes, ps)
	for i, c := range changes {
		cur, err := t.current(ps[i], c.Seen.SHA256 != "" || c.Seen.Type&fs.ModeSymlink != 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", target.Abs(ps[i]), err)
		}
		if why := refusal(c, &cur); why != "" {
			sk.add(i, why)
		}
	}
	for grew := true; grew; { // rules sharing paths block each other
		grew = false
		for i, c := range changes {
			if !sk.has(i) && sk.blocked(i, c.Rules) {
				sk.add(i, "")
				grew = true
			}
		}
	}
	step(opts.Step, "checked", "")
	run.Paths = nil
	for i, p := range ps {
		if !sk.has(i) {
			run.Paths = append(run.Paths, target.Abs(p))
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
	run.Skipped = sk.list()
	if err := s.saveRun(&run); err != nil {
		return nil, err
	}
	for _, d := range []string{filepath.Join(dir, "blobs"), dir, s.dir} {
		if err := syncPath(d); err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
	}

	a := &applier{t: t, dir: dir, id: run.ID, j: j, step: opts.Step}
	fail := func(err error) (*Run, error) {
		run.State = StateFailed
		run.Skipped = sk.list()
		if serr := s.saveRun(&run); serr != nil {
			err = errors.Join(err, serr)
		}
		return &run, err
	}
	for i, c := range changes {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		if sk.has(i) {
			continue
		}
		if sk.blocked(i, c.Rules) { // a path of the same rule was refused just now
			sk.add(i, "")
			run.Paths = slices.DeleteFunc(run.Paths, func(p string) bool { return p == target.Abs(ps[i]) })
			continue
		}
		c.Path = ps[i]
		var refused *refusedErr
		err := a.change(c)
		if errors.As(err, &refused) {
			sk.add(i, refused.why)
			run.Paths = slices.DeleteFunc(run.Paths, func(p string) bool { return p == target.Abs(ps[i]) })
			continue
		}
		if err != nil {
			return fail(fmt.Errorf("%s %s: %w", c.Action, target.Abs(c.Path), err))
		}
	}
	for _, c := range rt {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		if sk.blocked(-1, c.Rules) {
			sk.addRuntime(c)
			continue
		}
		if err := a.runtime(ctx, c, opts.Runtime); err != nil {
			return fail(fmt.Errorf("%s %s: %w", c.Kind, c.Key, err))
		}
	}
	run.State = StateApplied
	run.Skipped = sk.list()
	if err := s.saveRun(&run); err != nil {
		return &run, err
	}
	return &run, nil
}

// refusedErr is a path Apply leaves alone; the run goes on.
type refusedErr struct{ why string }

func (e *refusedErr) Error() string { return e.why }

// skips collects the planned paths Apply refuses, and the rules they
// belong to: a rule is applied whole or not at all, as far as Apply can
// tell before it starts.
type skips struct {
	changes []remedy.PathChange
	paths   []string
	why     map[int]string
	rules   map[string]string // rule -> the path that blocked it
	rt      []Skip
}

func newSkips(changes []remedy.PathChange, paths []string) *skips {
	return &skips{changes: changes, paths: paths, why: map[int]string{}, rules: map[string]string{}}
}

func (s *skips) has(i int) bool { _, ok := s.why[i]; return ok }

// add skips change i; an empty why names the refused path of a rule it
// shares, or the directory it would be made in.
func (s *skips) add(i int, why string) {
	if s.has(i) {
		return
	}
	if d := s.dirOf(i); why == "" && d != "" {
		why = fmt.Sprintf("not applied: its directory %s is not made by this run", target.Abs(d))
	}
	if why == "" {
		for _, r := range s.changes[i].Rules {
			if p, ok := s.rules[r]; ok {
				why = fmt.Sprintf("not applied: rule %s also changes %s, which was refused", r, target.Abs(p))
				break
			}
		}
	}
	s.why[i] = why
	for _, r := range s.changes[i].Rules {
		if _, ok := s.rules[r]; !ok {
			s.rules[r] = s.paths[i]
		}
	}
}

// blocked reports whether change i (-1: a runtime change) cannot be made
// because one of its rules has a refused path, or it lies below a
// directory the run was to make and skipped.
func (s *skips) blocked(i int, rules []string) bool {
	for _, r := range rules {
		if _, ok := s.rules[r]; ok {
			return true
		}
	}
	return i >= 0 && s.dirOf(i) != ""
}

// dirOf returns the skipped new directory change i lies below, if any.
func (s *skips) dirOf(i int) string {
	for j := range s.changes {
		if s.has(j) && s.changes[j].Action == remedy.ActMkdir && strings.HasPrefix(s.paths[i], s.paths[j]+"/") {
			return s.paths[j]
		}
	}
	return ""
}

func (s *skips) addRuntime(c remedy.Runtime) {
	for _, r := range c.Rules {
		if p, ok := s.rules[r]; ok {
			s.rt = append(s.rt, Skip{Path: string(c.Kind) + " " + c.Key, Rules: c.Rules,
				Reason: fmt.Sprintf("not applied: rule %s also changes %s, which was refused", r, target.Abs(p))})
			return
		}
	}
}

func (s *skips) list() []Skip {
	var out []Skip
	for i := range s.changes {
		if why, ok := s.why[i]; ok {
			out = append(out, Skip{Path: target.Abs(s.paths[i]), Rules: s.changes[i].Rules, Reason: why})
		}
	}
	return append(out, s.rt...)
}

// refusal says why change c must not be made to the path whose current
// state is cur, or "" when it may.
func refusal(c remedy.PathChange, cur *fileState) string {
	if why := drift(c.Seen, cur); why != "" {
		return why
	}
	return hardLinked(c.Action, cur)
}

type applier struct {
	t    *tree
	dir  string
	id   string
	j    *journalFile
	seq  int
	step func(string, string)
}

func (a *applier) change(c remedy.PathChange) error {
	p := c.Path
	d, name, err := a.t.parent(p)
	if err != nil {
		return fmt.Errorf("parent directory: %w", err)
	}
	// Only a change that replaces or removes content keeps a copy of it:
	// a mode or owner change records metadata alone.
	keep := c.Action != remedy.ActMeta && c.Action != remedy.ActMkdir
	prior, data, err := d.state(name, keep)
	var parent fileState
	if err == nil {
		parent, err = d.self()
	}
	d.Close()
	if err != nil {
		return err
	}
	// Checked again on what is journaled: the tree may have changed since
	// Apply started.
	if why := refusal(c, &prior); why != "" {
		return &refusedErr{why: why}
	}
	if keep && prior.Exists && prior.Type == typeFile {
		if _, err := putBlob(a.dir, data); err != nil {
			return err
		}
	}
	a.seq++
	seq := a.seq
	rec := record{Seq: seq, Kind: recBefore, Path: p, Action: c.Action, Prior: &prior,
		Parent: &dirTimes{Path: d.rel, Atime: parent.Atime, Mtime: parent.Mtime, Dev: parent.Dev, Ino: parent.Ino}}
	if c.Action == remedy.ActWrite || c.Action == remedy.ActSymlink {
		rec.Tmp = tmpName(p, a.id, randSuffix())
	}
	if err := a.j.append(rec); err != nil {
		return err
	}
	step(a.step, "journal", p)

	// Act only on what was journaled: the directory (found again, without
	// following symlinks) and the object in it must be the ones recorded.
	if d, err = a.t.openDir(rec.Parent.Path); err != nil {
		return a.leave(nil, rec, fmt.Errorf("parent directory: %w", err))
	}
	defer d.Close()
	if err := verify(d, name, rec.Parent, &prior); err != nil {
		return a.leave(d, rec, err)
	}
	switch c.Action {
	case remedy.ActWrite:
		err = a.write(d, name, c, &prior, path.Base(rec.Tmp))
	case remedy.ActSymlink:
		err = a.symlink(d, name, c, &prior, path.Base(rec.Tmp))
	case remedy.ActMkdir:
		err = a.mkdir(d, name, c, &prior)
	case remedy.ActRemove:
		err = a.remove(d, name, c, &prior)
	case remedy.ActMeta:
		err = a.meta(d, name, c, &prior)
	default:
		err = fmt.Errorf("unknown action %q", c.Action)
	}
	var refused *refusedErr
	if errors.As(err, &refused) {
		return a.leave(d, rec, err)
	}
	if err != nil {
		return err
	}

	after, _, err := d.state(name, false)
	if err != nil {
		return err
	}
	if err := a.j.append(record{Seq: seq, Kind: recDone, Path: p, After: after.fingerprint()}); err != nil {
		return err
	}
	step(a.step, "done", p)
	return nil
}

// leave records that the path of rec was left as it is (the object
// changed after it was journaled), removing the temporary when d is
// given, and returns err: Rollback must not put back a prior state over
// what someone else made there.
func (a *applier) leave(d *dir, rec record, err error) error {
	if d != nil && rec.Tmp != "" {
		_ = unix.Unlinkat(d.fd, path.Base(rec.Tmp), 0)
	}
	if jerr := a.j.append(record{Seq: rec.Seq, Kind: recLeft, Path: rec.Path}); jerr != nil {
		return errors.Join(err, jerr)
	}
	return err
}

// unchanged refuses, as a refusedErr, when name is no longer in the
// state prior recorded: someone changed it in place while the change was
// being prepared. (A change in the instant between this check and the
// rename or unlink that follows it is not detected.)
func unchanged(d *dir, name string, prior *fileState) error {
	cur, _, err := d.state(name, false)
	if err != nil {
		return err
	}
	if cur.identity() != prior.identity() || cur.fingerprint() != prior.fingerprint() {
		return &refusedErr{why: "changed while the change was being made; left as it is"}
	}
	return nil
}

// unchangedCheck is unchanged for an existing prior, nil otherwise.
func unchangedCheck(d *dir, name string, prior *fileState) func() error {
	if !prior.Exists {
		return nil
	}
	return func() error { return unchanged(d, name, prior) }
}

// verify fails unless d is the directory parent recorded and name in it
// is still the object prior recorded (or still absent).
func verify(d *dir, name string, parent *dirTimes, prior *fileState) error {
	self, err := d.self()
	if err != nil {
		return err
	}
	if parent.Ino != 0 && (self.Dev != parent.Dev || self.Ino != parent.Ino) {
		return fmt.Errorf("%s: directory replaced since it was journaled", target.Abs(d.rel))
	}
	cur, err := d.lstat(name)
	if err != nil {
		return err
	}
	switch {
	case !prior.Exists && cur.Exists:
		return fmt.Errorf("%s: a %s appeared since it was journaled", d.abs(name), cur.Type)
	case prior.Exists && cur.identity() != prior.identity():
		return changedErr(d.abs(name), prior.identity(), cur)
	}
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

// renameInto moves the prepared temporary tmp over name in d and fsyncs
// d, announcing steps ready (before) and renamed (after) for path p;
// check, when given, runs last before the rename and can refuse it.
func renameInto(d *dir, hook func(string, string), tmp, name, p, ready, renamed string, check func() error) error {
	step(hook, ready, p)
	if check != nil {
		if err := check(); err != nil {
			return err
		}
	}
	if err := d.rename(tmp, name); err != nil {
		return err
	}
	if err := d.sync(); err != nil {
		return err
	}
	step(hook, renamed, p)
	return nil
}

func (a *applier) write(d *dir, name string, c remedy.PathChange, prior *fileState, tmp string) error {
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
	f, err := d.create(tmp)
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
	return renameInto(d, a.step, tmp, name, c.Path, "tmp-ready", "renamed", unchangedCheck(d, name, prior))
}

func (a *applier) symlink(d *dir, name string, c remedy.PathChange, prior *fileState, tmp string) error {
	if prior.Exists && prior.Type == typeDir {
		return errors.New("is a directory")
	}
	if err := d.symlink(c.Link, tmp); err != nil {
		return err
	}
	if c.OwnerSet {
		if err := d.lchown(tmp, c.UID, c.GID); err != nil {
			return err
		}
	}
	return renameInto(d, a.step, tmp, name, c.Path, "tmp-ready", "renamed", unchangedCheck(d, name, prior))
}

func (a *applier) mkdir(d *dir, name string, c remedy.PathChange, prior *fileState) error {
	if prior.Exists {
		return errors.New("already exists")
	}
	if err := d.mkdir(name, 0o700); err != nil {
		return err
	}
	step(a.step, "mkdir", c.Path)
	st, err := d.lstat(name)
	if err != nil {
		return err
	}
	if st.Type != typeDir {
		return fmt.Errorf("%s: replaced by a %s after it was made", d.abs(name), orAbsent(st.Type))
	}
	want := st.identity()
	f, err := d.open(name, &want)
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
	return d.sync()
}

func (a *applier) remove(d *dir, name string, c remedy.PathChange, prior *fileState) error {
	if !prior.Exists {
		return nil
	}
	if prior.Type == typeDir {
		return errors.New("is a directory")
	}
	if err := unchanged(d, name, prior); err != nil {
		return err
	}
	if err := d.remove(name, false); err != nil {
		return err
	}
	step(a.step, "removed", c.Path)
	return nil
}

func (a *applier) meta(d *dir, name string, c remedy.PathChange, prior *fileState) error {
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
		want := prior.identity()
		f, err := d.open(name, &want)
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Fstat(int(f.Fd()), &st); err != nil {
			f.Close()
			return &fs.PathError{Op: "stat", Path: d.abs(name), Err: err}
		}
		now := stateOf(&st)
		why := hardLinked(c.Action, &now)
		if why == "" && (now.Mode != prior.Mode || now.UID != prior.UID || now.GID != prior.GID) {
			why = "mode or owner changed while the change was being made; left as it is"
		}
		if why != "" {
			f.Close()
			return &refusedErr{why: why}
		}
		// A chown drops setuid bits and capabilities: put them back so
		// only what was asked for changes.
		if err := syncClose(f, setMeta(f, c.OwnerSet, uid, gid, prior.Xattrs, c.OwnerSet, mode, true)); err != nil {
			return err
		}
	default: // symlinks and special files: metadata through the directory
		// A link added since journaling would share the change.
		if now, err := d.lstat(name); err != nil {
			return err
		} else if why := hardLinked(c.Action, &now); why != "" {
			return &refusedErr{why: why}
		}
		if prior.Type == typeSymlink { // a symlink's mode means nothing
			if c.OwnerSet {
				if err := d.lchown(name, uid, gid); err != nil {
					return err
				}
			}
			break
		}
		if err := d.chownChmod(name, prior.identity(), uid, gid, mode); err != nil {
			return err
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
