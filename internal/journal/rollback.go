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

	"github.com/cradle-cra/cradle/internal/target"
)

// Rollback restores what run id changed under root, from its journal. It
// works on interrupted and failed runs, can itself be interrupted and run
// again, and does nothing for a run already rolled back.
func (s *Store) Rollback(ctx context.Context, root, id string, opts RollbackOptions) (*RollbackResult, error) {
	if err := supported(); err != nil {
		return nil, err
	}
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
	rtOld := map[int]string{}
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
		case recRTBefore:
			rts = append(rts, rec)
		case recRTDone:
			rtOld[rec.Seq] = rec.Old
		}
	}
	for _, rec := range rts {
		if !restored[rec.Seq] && opts.Runtime == nil {
			return nil, errors.New("journal: the run made runtime changes but no runtime applier was given")
		}
	}

	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("journal: open target: %w", err)
	}
	defer r.Close()

	rb := &roller{root: r, dir: dir, id: id, step: opts.Step, res: res}
	if !opts.Force {
		if err := rb.check(befores, done, restored); err != nil {
			return nil, err
		}
	}
	j, err := openJournal(dir)
	if err != nil {
		return nil, err
	}
	defer j.Close()

	for _, rec := range slices.Backward(rts) {
		if restored[rec.Seq] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		old, ok := rtOld[rec.Seq]
		if !ok {
			// Interrupted around Apply: fall back to the value seen when
			// planning; without one there is nothing known to go back to.
			if old = rec.Runtime.Old; old == "" {
				continue
			}
		}
		if err := opts.Runtime.Revert(ctx, *rec.Runtime, old); err != nil {
			return nil, fmt.Errorf("revert %s %s: %w", rec.Runtime.Kind, rec.Runtime.Key, err)
		}
		if err := j.append(record{Seq: rec.Seq, Kind: recRTReverted}); err != nil {
			return nil, err
		}
		step(rb.step, "rb-runtime", rec.Runtime.Key)
	}

	var created []string
	for _, rec := range slices.Backward(befores) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		isDir, err := rb.restore(rec, restored[rec.Seq])
		if err != nil {
			return nil, fmt.Errorf("restore %s: %w", target.Abs(rec.Path), err)
		}
		if isDir {
			created = append(created, rec.Path)
		}
		if !restored[rec.Seq] {
			if err := j.append(record{Seq: rec.Seq, Kind: recRestored, Path: rec.Path}); err != nil {
				return nil, err
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
		err := removeSynced(r, d)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("restore %s: %w", target.Abs(d), err)
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
		if fi, err := r.Lstat(d); err != nil || !fi.IsDir() {
			continue // created by the run, or gone
		}
		t := times[d]
		if err := setTimes(r, d, t.Atime, t.Mtime); err != nil {
			return nil, err
		}
		if err := syncDir(r, d); err != nil {
			return nil, err
		}
		step(rb.step, "rb-dirtimes", d)
	}

	now := time.Now()
	run.State, run.RolledBackAt = StateRolledBack, &now
	if err := s.saveRun(run); err != nil {
		return nil, err
	}
	return res, nil
}

func depth(p string) int {
	if p == "." || p == "" {
		return 0
	}
	return strings.Count(p, "/") + 1
}

type roller struct {
	root *os.Root
	dir  string
	id   string
	step func(string, string)
	res  *RollbackResult
}

// check fails with a *ChangedError when a path the run finished is now in
// neither the state the run left nor its prior state, or a directory the
// run created holds entries the run did not make.
func (rb *roller) check(befores []record, done map[int]string, restored map[int]bool) error {
	ours := map[string]bool{}
	for _, rec := range befores {
		ours[rec.Path] = true
	}
	var changed []string
	for _, rec := range befores {
		after, finished := done[rec.Seq]
		if restored[rec.Seq] || !finished {
			continue
		}
		cur, _, err := readState(rb.root, rec.Path)
		if err != nil {
			return fmt.Errorf("%s: %w", target.Abs(rec.Path), err)
		}
		fp := cur.fingerprint()
		if fp != after && fp != rec.Prior.fingerprint() {
			changed = append(changed, target.Abs(rec.Path))
			continue
		}
		if !rec.Prior.Exists && cur.Type == typeDir {
			ents, err := fs.ReadDir(rb.root.FS(), rec.Path)
			if err != nil {
				return fmt.Errorf("%s: %w", target.Abs(rec.Path), err)
			}
			for _, e := range ents {
				p := path.Join(rec.Path, e.Name())
				if !ours[p] && !strings.Contains(e.Name(), ".cradle-"+rb.id) {
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

// restore puts one path back to its prior state (or, for a restored one,
// only reports whether it is a directory the run created). isDir is set
// for directories to remove once their contents are gone.
func (rb *roller) restore(rec record, already bool) (isDir bool, err error) {
	p, prior := rec.Path, rec.Prior
	cur, _, err := readState(rb.root, p)
	if err != nil {
		return false, err
	}
	if already {
		return !prior.Exists && cur.Type == typeDir, nil
	}
	for _, t := range []string{tmpName(p, rb.id, ""), tmpName(p, rb.id, "-rb")} {
		if err := rb.root.Remove(t); err == nil {
			step(rb.step, "rb-tmp-removed", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
	}
	abs := target.Abs(p)
	if !prior.Exists {
		switch {
		case !cur.Exists:
		case cur.Type == typeDir:
			return true, nil
		default:
			if err := removeSynced(rb.root, p); err != nil {
				return false, err
			}
			rb.res.Removed = append(rb.res.Removed, abs)
			step(rb.step, "rb-removed", p)
		}
		return false, nil
	}
	unchanged := cur.fingerprint() == prior.fingerprint()
	switch prior.Type {
	case typeFile:
		if cur.Exists && cur.Type == typeFile && cur.SHA256 == prior.SHA256 {
			err = rb.metaInPlace(p, prior, unchanged)
		} else {
			err = rb.replaceFile(p, prior)
		}
	case typeSymlink:
		if cur.Exists && cur.Type == typeSymlink && cur.Link == prior.Link {
			err = rb.linkMeta(p, prior)
		} else {
			err = rb.replaceSymlink(p, prior)
		}
	case typeDir:
		if cur.Type != typeDir {
			return false, fmt.Errorf("was a directory, now %s", orAbsent(cur.Type))
		}
		err = rb.metaInPlace(p, prior, unchanged) // times come last, with the other directories
	default:
		if cur.Type != typeOther {
			return false, fmt.Errorf("cannot recreate a special file (now %s)", orAbsent(cur.Type))
		}
		if err = rb.root.Lchown(p, int(prior.UID), int(prior.GID)); err == nil {
			err = rb.root.Chmod(p, prior.Mode)
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

func orAbsent(t string) string {
	if t == "" {
		return "absent"
	}
	return t
}

// metaInPlace restores owner, xattrs, mode and (for files) times of an
// existing file or directory whose content is already the prior one.
func (rb *roller) metaInPlace(p string, prior *fileState, unchanged bool) error {
	isDir := prior.Type == typeDir
	if !unchanged {
		f, err := openNoFollow(rb.root, p, isDir)
		if err != nil {
			return err
		}
		if err := syncClose(f, setPriorMeta(f, prior)); err != nil {
			return err
		}
	}
	if isDir {
		return nil
	}
	return setTimes(rb.root, p, prior.Atime, prior.Mtime)
}

func (rb *roller) replaceFile(p string, prior *fileState) error {
	data, err := getBlob(rb.dir, prior.SHA256)
	if err != nil {
		return err
	}
	tmp := tmpName(p, rb.id, "-rb")
	f, err := rb.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = setPriorMeta(f, prior)
	}
	if err == nil {
		err = setTimes(rb.root, tmp, prior.Atime, prior.Mtime)
	}
	if err := syncClose(f, err); err != nil {
		return err
	}
	return renameInto(rb.root, rb.step, tmp, p, "rb-tmp-ready", "rb-renamed")
}

func (rb *roller) replaceSymlink(p string, prior *fileState) error {
	tmp := tmpName(p, rb.id, "-rb")
	if err := rb.root.Symlink(prior.Link, tmp); err != nil {
		return err
	}
	if err := rb.linkMeta(tmp, prior); err != nil {
		return err
	}
	return renameInto(rb.root, rb.step, tmp, p, "rb-tmp-ready", "rb-renamed")
}

// linkMeta gives the symlink p the prior owner and times.
func (rb *roller) linkMeta(p string, prior *fileState) error {
	if err := rb.root.Lchown(p, int(prior.UID), int(prior.GID)); err != nil {
		return err
	}
	return setTimes(rb.root, p, prior.Atime, prior.Mtime)
}

// setPriorMeta gives an open file or directory its prior owner, xattrs and
// mode.
func setPriorMeta(f *os.File, prior *fileState) error {
	return setMeta(f, true, prior.UID, prior.GID, prior.Xattrs, true, prior.Mode, true)
}
