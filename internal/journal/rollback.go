//go:build linux

package journal

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
	"golang.org/x/sys/unix"
)

// Rollback restores what run id changed under root, from its journal. It
// works on interrupted and failed runs, can itself be interrupted and run
// again, and does nothing for a run already rolled back (res.Already).
// It restores everything it can: a path it cannot restore is listed in
// res.Failed with the reason (the error is then an *IncompleteError) and
// the run stays as it was, to be rolled back again once that is fixed.
func (s *Store) Rollback(ctx context.Context, root, id string, opts RollbackOptions) (*RollbackResult, error) {
	if err := validID(id); err != nil {
		return nil, err
	}
	release, err := lockStore(s.dir)
	if err != nil {
		return nil, err
	}
	defer release()
	run, err := s.Get(id)
	if err != nil {
		return nil, err
	}
	res := &RollbackResult{Run: run}
	if run.State == StateRolledBack {
		res.Already = true
		return res, nil
	}
	dir := s.runDir(id)
	recs, err := readJournal(dir)
	if err != nil {
		return nil, err
	}

	var befores, rts []record
	done := map[int]string{}
	restored := map[int]bool{}
	left := map[int]bool{}
	rtOld := map[int]string{}
	rbTmps := map[int][]string{}
	for _, rec := range recs {
		if err := rec.complete(); err != nil {
			return nil, fmt.Errorf("journal %s: %w", id, err)
		}
		switch rec.Kind {
		case recBefore:
			befores = append(befores, rec)
		case recDone:
			done[rec.Seq] = rec.After
		case recRestored, recRTReverted:
			restored[rec.Seq] = true
		case recLeft:
			left[rec.Seq] = true
		case recRTBefore:
			rts = append(rts, rec)
		case recRTDone:
			rtOld[rec.Seq] = rec.Old
		case recRBTmp:
			rbTmps[rec.Seq] = append(rbTmps[rec.Seq], rec.Tmp)
		}
	}
	for _, rec := range rts {
		if !restored[rec.Seq] && opts.Runtime == nil {
			return nil, errors.New("journal: the run made runtime changes but no runtime applier was given")
		}
	}

	// Runs from before roots were pinned carry no identity: the root is
	// then only required not to be a symlink.
	t, err := openTree(root, run.Root)
	if err != nil {
		return nil, fmt.Errorf("journal: open target: %w", err)
	}
	defer t.Close()

	rb := &roller{t: t, dir: dir, id: id, step: opts.Step, res: res, rbTmps: rbTmps}
	if !opts.Force {
		if err := rb.check(befores, done, restored, left); err != nil {
			return nil, err
		}
	}
	j, err := openJournal(dir)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	rb.j = j

	// From here on a failure is reported and the rest is still restored.
	fail := func(what string, err error) {
		res.Failed = append(res.Failed, Failure{Path: what, Reason: err.Error(), Err: err})
	}
	for _, rec := range slices.Backward(rts) {
		if restored[rec.Seq] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		what := fmt.Sprintf("%s %s", rec.Runtime.Kind, rec.Runtime.Key)
		old, ok := rtOld[rec.Seq]
		if !ok {
			// Interrupted around Apply, which may or may not have made
			// the change: revert to the state it started from.
			if old = priorRuntime(*rec.Runtime); old == "" {
				fail(what, errors.New("not reverted, the state before is unknown (check by hand)"))
				continue
			}
		}
		if err := opts.Runtime.Revert(ctx, *rec.Runtime, old); err != nil {
			fail(what, fmt.Errorf("revert: %w", err))
			continue
		}
		if err := j.append(record{Seq: rec.Seq, Kind: recRTReverted}); err != nil {
			return res, err
		}
		step(rb.step, "rb-runtime", rec.Runtime.Key)
	}

	var created []string
	for _, rec := range slices.Backward(befores) {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if left[rec.Seq] {
			// The run left this path alone: only its temporary may remain.
			if err := rb.removeTmps(rec); err != nil {
				fail(target.Abs(rec.Path), err)
			}
			continue
		}
		isDir, err := rb.restore(rec, restored[rec.Seq])
		if err != nil {
			fail(target.Abs(rec.Path), err)
			continue
		}
		if isDir {
			created = append(created, rec.Path)
		}
		if !restored[rec.Seq] {
			if err := j.append(record{Seq: rec.Seq, Kind: recRestored, Path: rec.Path}); err != nil {
				return res, err
			}
			step(rb.step, "rb-restored", rec.Path)
		}
	}

	byDepth := func(a, b string) int {
		if c := depth(b) - depth(a); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	}
	slices.SortFunc(created, byDepth)
	created = slices.Compact(created)
	for _, d := range created {
		err := rb.rmdir(d)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			fail(target.Abs(d), err)
			continue
		}
		res.Removed = append(res.Removed, target.Abs(d))
		step(rb.step, "rb-rmdir", d)
	}

	// Directory times last: every change above touched them. The earliest
	// record that saw a directory holds its original times.
	times := map[string]*dirTimes{}
	for _, rec := range befores {
		if rec.Prior.Exists && rec.Prior.Type == typeDir {
			if _, ok := times[rec.Path]; !ok {
				times[rec.Path] = &dirTimes{Path: rec.Path, Atime: rec.Prior.Atime, Mtime: rec.Prior.Mtime}
			}
		}
		if rec.Parent != nil {
			if _, ok := times[rec.Parent.Path]; !ok {
				times[rec.Parent.Path] = rec.Parent
			}
		}
	}
	dirs := make([]string, 0, len(times))
	for d := range times {
		dirs = append(dirs, d)
	}
	slices.SortFunc(dirs, byDepth)
	for _, d := range dirs {
		if err := rb.dirTimes(times[d]); err != nil {
			fail(target.Abs(d), fmt.Errorf("restore times: %w", err))
		}
	}

	if len(res.Failed) > 0 {
		// The run stays as it is, to be rolled back again.
		return res, &IncompleteError{Failed: res.Failed}
	}
	now := time.Now()
	run.State, run.RolledBackAt = StateRolledBack, &now
	if err := s.saveRun(run); err != nil {
		return nil, err
	}
	return res, nil
}

// dirTimes gives directory tm.Path its recorded times, unless it already
// has them (a directory the run did not change is not touched) or is gone.
func (rb *roller) dirTimes(tm *dirTimes) error {
	dd, err := rb.t.openDir(tm.Path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
		return nil // created by the run, or gone
	}
	if err != nil {
		return err
	}
	defer dd.Close()
	cur, err := dd.self()
	if err != nil {
		return err
	}
	if cur.Atime == tm.Atime && cur.Mtime == tm.Mtime {
		return nil
	}
	if err := dd.setTimes(".", tm.Atime, tm.Mtime); err != nil {
		return err
	}
	if err := dd.sync(); err != nil {
		return err
	}
	step(rb.step, "rb-dirtimes", tm.Path)
	return nil
}

func depth(p string) int {
	if p == "." || p == "" {
		return 0
	}
	return strings.Count(p, "/") + 1
}

// priorRuntime is the state a runtime change started from when Apply was
// interrupted before recording it: the planned prior value of a sysctl,
// or what a package action implies (one removes an installed package,
// one installs an absent one).
func priorRuntime(rc remedy.Runtime) string {
	if rc.Kind == remedy.KindPackage {
		switch rc.Action {
		case "remove":
			return "installed"
		case "install":
			return "absent"
		}
	}
	return rc.Old
}

type roller struct {
	t      *tree
	dir    string
	id     string
	j      *journalFile
	step   func(string, string)
	res    *RollbackResult
	rbTmps map[int][]string // rollback temporaries journaled, by record
}

// check fails with a *ChangedError when a path the run finished is now in
// neither the state the run left nor its prior state, or a directory the
// run created holds entries the run did not make.
func (rb *roller) check(befores []record, done map[int]string, restored, left map[int]bool) error {
	ours := map[string]bool{}
	for _, rec := range befores {
		ours[rec.Path] = true
	}
	var changed []string
	for _, rec := range befores {
		after, finished := done[rec.Seq]
		if restored[rec.Seq] || left[rec.Seq] || !finished {
			continue
		}
		cur, err := rb.t.current(rec.Path, true)
		if err != nil {
			return fmt.Errorf("%s: %w", target.Abs(rec.Path), err)
		}
		fp := cur.fingerprint()
		if fp != after && fp != rec.Prior.fingerprint() {
			changed = append(changed, target.Abs(rec.Path))
			continue
		}
		if !rec.Prior.Exists && cur.Type == typeDir {
			names, err := rb.list(rec.Path)
			if err != nil {
				return fmt.Errorf("%s: %w", target.Abs(rec.Path), err)
			}
			for _, n := range names {
				p := path.Join(rec.Path, n)
				if !ours[p] && !strings.Contains(n, ".cradle-"+rb.id) {
					changed = append(changed, target.Abs(p))
				}
			}
		}
	}
	if len(changed) > 0 {
		slices.Sort(changed)
		return &ChangedError{Paths: changed}
	}
	return nil
}

// list returns the names in directory p.
func (rb *roller) list(p string) ([]string, error) {
	d, err := rb.t.openDir(p)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	f, err := d.openDir(".")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// rmdir removes the directory p the run created.
func (rb *roller) rmdir(p string) error {
	d, name, err := rb.t.parent(p)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.remove(name, true)
}

// restore puts one path back to its prior state (or, for a restored one,
// only reports whether it is a directory the run created). isDir is set
// for directories to remove once their contents are gone. A path already
// in its prior state, times included, is not touched at all.
func (rb *roller) restore(rec record, already bool) (isDir bool, err error) {
	p, prior := rec.Path, rec.Prior
	d, name, err := rb.t.parent(p)
	if errors.Is(err, fs.ErrNotExist) && (already || !prior.Exists) {
		return false, nil // gone with its directory
	}
	if err != nil {
		return false, err
	}
	defer d.Close()
	cur, _, err := d.state(name, false)
	if err != nil {
		return false, err
	}
	if already {
		return !prior.Exists && cur.Type == typeDir, nil
	}
	if err := rb.removeTmpsIn(d, rec); err != nil {
		return false, err
	}
	abs := target.Abs(p)
	if !prior.Exists {
		switch {
		case !cur.Exists:
		case cur.Type == typeDir:
			return true, nil
		default:
			if err := d.remove(name, false); err != nil {
				return false, err
			}
			rb.res.Removed = append(rb.res.Removed, abs)
			step(rb.step, "rb-removed", p)
		}
		return false, nil
	}
	unchanged := cur.fingerprint() == prior.fingerprint()
	if unchanged && (prior.Type == typeDir || cur.Atime == prior.Atime && cur.Mtime == prior.Mtime) {
		return false, nil // never changed (the run stopped before it), or already restored
	}
	switch prior.Type {
	case typeFile:
		switch {
		case rec.Action == remedy.ActMeta:
			// The run changed mode or owner only and kept no content: put
			// those back on whatever content the file has now.
			if cur.Type != typeFile {
				return false, fmt.Errorf("was a file, now %s: a mode or owner change cannot be undone on it", orAbsent(cur.Type))
			}
			if err = foreignLinks(prior, &cur); err == nil {
				err = rb.metaInPlace(d, name, prior, &cur, unchanged, cur.SHA256 == prior.SHA256)
			}
		case cur.Type == typeFile && cur.SHA256 == prior.SHA256 && foreignLinks(prior, &cur) == nil:
			err = rb.metaInPlace(d, name, prior, &cur, unchanged, true)
		default:
			// A new file by rename: other hard links to what is there now
			// keep their content and metadata.
			err = rb.replaceFile(d, name, rec)
		}
	case typeSymlink:
		if cur.Exists && cur.Type == typeSymlink && cur.Link == prior.Link && foreignLinks(prior, &cur) == nil {
			err = rb.linkMeta(d, name, prior)
		} else {
			err = rb.replaceSymlink(d, name, rec)
		}
	case typeDir:
		if cur.Type != typeDir {
			return false, fmt.Errorf("was a directory, now %s", orAbsent(cur.Type))
		}
		err = rb.metaInPlace(d, name, prior, &cur, unchanged, false) // times come last, with the other directories
	default:
		if cur.Type != typeOther {
			return false, fmt.Errorf("cannot recreate a special file (now %s)", orAbsent(cur.Type))
		}
		if err = foreignLinks(prior, &cur); err == nil {
			err = d.chownChmod(name, cur.identity(), prior.UID, prior.GID, prior.Mode)
		}
	}
	if err != nil {
		return false, err
	}
	if !unchanged {
		rb.res.Restored = append(rb.res.Restored, abs)
	}
	return false, nil
}

// foreignLinks refuses to set cur's mode or owner in place when cur is
// not the object the run changed and has other hard links: they would
// change too, and may lie outside the target.
func foreignLinks(prior, cur *fileState) error {
	if cur.Type != typeDir && cur.Nlink > 1 && cur.identity() != prior.identity() {
		return fmt.Errorf("has %d hard links and is not the file the run changed: its mode or owner is not set in place", cur.Nlink)
	}
	return nil
}

// removeTmps deletes what rec's temporaries left behind.
func (rb *roller) removeTmps(rec record) error {
	d, _, err := rb.t.parent(rec.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.Close()
	return rb.removeTmpsIn(d, rec)
}

// removeTmpsIn deletes rec's leftover temporaries in d: the ones
// journaled, and (best effort) the fixed name older versions used for
// rollback's.
func (rb *roller) removeTmpsIn(d *dir, rec record) error {
	p := rec.Path
	if unix.Unlinkat(d.fd, path.Base(tmpName(p, rb.id, "-rb")), 0) == nil {
		step(rb.step, "rb-tmp-removed", p)
	}
	for _, t := range append([]string{rec.Tmp}, rb.rbTmps[rec.Seq]...) {
		if t == "" || path.Dir(t) != path.Dir(p) {
			continue
		}
		err := unix.Unlinkat(d.fd, path.Base(t), 0)
		switch {
		case err == nil:
			step(rb.step, "rb-tmp-removed", p)
		case !errors.Is(err, unix.ENOENT):
			return &fs.PathError{Op: "remove", Path: target.Abs(t), Err: err}
		}
	}
	return nil
}

func orAbsent(t string) string {
	if t == "" {
		return "absent"
	}
	return t
}

// metaInPlace restores owner, xattrs and mode of the existing file or
// directory cur, and, with times, a file's times.
func (rb *roller) metaInPlace(d *dir, name string, prior, cur *fileState, unchanged, times bool) error {
	if !unchanged {
		want := cur.identity()
		f, err := d.open(name, &want)
		if err != nil {
			return err
		}
		if err := syncClose(f, setPriorMeta(f, prior)); err != nil {
			return err
		}
	}
	if !times || cur.Atime == prior.Atime && cur.Mtime == prior.Mtime {
		return nil
	}
	return d.setTimes(name, prior.Atime, prior.Mtime)
}

// newTmp journals a new, unpredictable temporary name for rec's path
// before anything is created under it, so that an interrupted rollback
// can remove it.
func (rb *roller) newTmp(rec record) (string, error) {
	tmp := tmpName(rec.Path, rb.id, "-rb"+randSuffix())
	if err := rb.j.append(record{Seq: rec.Seq, Kind: recRBTmp, Path: rec.Path, Tmp: tmp}); err != nil {
		return "", err
	}
	step(rb.step, "rb-tmp-journal", rec.Path)
	return path.Base(tmp), nil
}

func (rb *roller) replaceFile(d *dir, name string, rec record) error {
	prior := rec.Prior
	data, err := getBlob(rb.dir, prior.SHA256)
	if err != nil {
		return err
	}
	tmp, err := rb.newTmp(rec)
	if err != nil {
		return err
	}
	f, err := d.create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = setPriorMeta(f, prior)
	}
	if err == nil {
		err = d.setTimes(tmp, prior.Atime, prior.Mtime)
	}
	if err := syncClose(f, err); err != nil {
		return err
	}
	return renameInto(d, rb.step, tmp, name, rec.Path, "rb-tmp-ready", "rb-renamed", nil)
}

func (rb *roller) replaceSymlink(d *dir, name string, rec record) error {
	tmp, err := rb.newTmp(rec)
	if err != nil {
		return err
	}
	if err := d.symlink(rec.Prior.Link, tmp); err != nil {
		return err
	}
	if err := rb.linkMeta(d, tmp, rec.Prior); err != nil {
		return err
	}
	return renameInto(d, rb.step, tmp, name, rec.Path, "rb-tmp-ready", "rb-renamed", nil)
}

// linkMeta gives the symlink name the prior owner and times.
func (rb *roller) linkMeta(d *dir, name string, prior *fileState) error {
	if err := d.lchown(name, prior.UID, prior.GID); err != nil {
		return err
	}
	return d.setTimes(name, prior.Atime, prior.Mtime)
}

// setPriorMeta gives an open file or directory its prior owner, xattrs and
// mode.
func setPriorMeta(f *os.File, prior *fileState) error {
	return setMeta(f, true, prior.UID, prior.GID, prior.Xattrs, true, prior.Mode, true)
}
