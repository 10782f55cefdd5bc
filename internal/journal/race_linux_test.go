//go:build linux

package journal

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cradle-cra/cradle/internal/remedy"
)

// The plan-apply race harness: a plan is made against a tree, then the
// tree is changed at a fault-injection point — before Apply starts
// ("start"), after its checks ("checked"), between journaling and acting
// ("journal"), or just before a replacement is renamed into place
// ("tmp-ready") — and nothing outside the target may change, and no edit
// made in between may be lost.

// raceTree is makeTree's tree in dir/root next to dir/host, a stand-in
// for the host's own files (a setuid binary and a configuration file).
func raceTree(t *testing.T) (root, host string) {
	t.Helper()
	dir := t.TempDir()
	root, _ = newTree(t, dir)
	host = filepath.Join(dir, "host")
	must(t, os.MkdirAll(filepath.Join(host, "usr/bin"), 0o755))
	must(t, os.MkdirAll(filepath.Join(host, "etc"), 0o755))
	must(t, os.WriteFile(filepath.Join(host, "usr/bin/su"), []byte("host su\n"), 0o755))
	must(t, os.Chmod(filepath.Join(host, "usr/bin/su"), 0o755|fs.ModeSetuid))
	must(t, os.WriteFile(filepath.Join(host, "etc/a.conf"), []byte("host config\n"), 0o644))
	return root, host
}

// planApply plans changes against root, then applies them, calling race
// at step at with the path the step is for until race says it acted.
func planApply(t *testing.T, s *Store, root string, changes []remedy.PathChange, at string, race func(p string) bool) (*Run, error) {
	t.Helper()
	run, changes := plan(t, root, Run{Reason: "race"}, changes)
	fired := false
	hook := func(step, p string) {
		if step == at && !fired {
			fired = race(p)
		}
	}
	r, err := s.Apply(context.Background(), root, run, changes, nil, ApplyOptions{Step: hook})
	if !fired {
		t.Fatalf("step %q never came", at)
	}
	return r, err
}

func noRuns(t *testing.T, s *Store) {
	t.Helper()
	if ents, _ := os.ReadDir(s.Dir()); slices.ContainsFunc(ents, func(e os.DirEntry) bool { return e.IsDir() }) {
		t.Errorf("a run directory was written: %v", ents)
	}
}

func TestRaceRootSwap(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		name string
		swap func(t *testing.T, root, host string)
	}{
		{"root replaced by a symlink to the host", func(t *testing.T, root, host string) {
			must(t, os.Rename(root, root+".orig"))
			must(t, os.Symlink(host, root))
		}},
		{"root replaced by another directory", func(t *testing.T, root, host string) {
			must(t, os.Rename(root, root+".orig"))
			must(t, os.Mkdir(root, 0o755))
			must(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
			must(t, os.WriteFile(filepath.Join(root, "etc/a.conf"), []byte("alpha\n"), 0o644))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, host := raceTree(t)
			before, hostBefore := treeHash(t, root), treeHash(t, host)
			s := openStore(t)
			_, err := planApply(t, s, root, testChanges(), "start", func(string) bool { tc.swap(t, root, host); return true })
			if !errors.Is(err, ErrRootChanged) {
				t.Errorf("apply: %v, want ErrRootChanged", err)
			}
			sameTree(t, hostBefore, treeHash(t, host))
			sameTree(t, before, treeHash(t, root+".orig"))
			noRuns(t, s)
		})
	}

	// Swapped in the middle of a run: the run goes on in the tree it
	// opened, never in what the path names now.
	t.Run("root swapped during apply", func(t *testing.T) {
		root, host := raceTree(t)
		hostBefore := treeHash(t, host)
		s := openStore(t)
		run, err := planApply(t, s, root, testChanges(), "journal", func(string) bool {
			must(t, os.Rename(root, root+".orig"))
			must(t, os.Symlink(host, root))
			return true
		})
		must(t, err)
		sameTree(t, hostBefore, treeHash(t, host))
		if b, _ := os.ReadFile(filepath.Join(root+".orig", "etc/a.conf")); string(b) != "alpha\nmore\n" {
			t.Errorf("the original tree was not changed: %q", b)
		}
		// Rollback refuses the symlink, and another directory, too.
		if _, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{Force: true}); !errors.Is(err, ErrRootChanged) {
			t.Errorf("rollback through the swapped root: %v", err)
		}
		must(t, os.Remove(root))
		must(t, os.Mkdir(root, 0o755))
		if _, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{Force: true}); !errors.Is(err, ErrRootChanged) {
			t.Errorf("rollback in another directory: %v", err)
		}
		sameTree(t, hostBefore, treeHash(t, host))
		must(t, os.Remove(root))
		must(t, os.Rename(root+".orig", root))
		if _, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRaceLostEdit(t *testing.T) {
	needRoot(t)
	edit := func(t *testing.T, p, body string) {
		// In place, as an editor that keeps the inode does.
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
		must(t, err)
		_, err = f.WriteString(body)
		must(t, err)
		must(t, f.Close())
	}
	for _, at := range []string{"start", "checked", "journal", "tmp-ready"} {
		t.Run(at, func(t *testing.T) {
			root, _ := newTree(t, t.TempDir())
			s := openStore(t)
			a := filepath.Join(root, "etc/a.conf")
			run, err := planApply(t, s, root, testChanges(), at, func(p string) bool {
				if p != "" && p != "etc/a.conf" {
					return false // the step of another path
				}
				edit(t, a, "alpha\nadded by an administrator\n")
				return true
			})
			must(t, err)
			if b, _ := os.ReadFile(a); string(b) != "alpha\nadded by an administrator\n" {
				t.Fatalf("the edit was lost: %q", b)
			}
			i := slices.IndexFunc(run.Skipped, func(s Skip) bool { return s.Path == "/etc/a.conf" })
			if i < 0 || !strings.Contains(run.Skipped[i].Reason, "changed") || !slices.Equal(run.Skipped[i].Rules, []string{"R2"}) {
				t.Fatalf("skipped = %+v", run.Skipped)
			}
			if slices.Contains(run.Paths, "/etc/a.conf") {
				t.Errorf("paths = %v", run.Paths)
			}
			if at == "start" || at == "checked" {
				// Rule R2 is applied whole or not at all.
				if b, _ := os.ReadFile(filepath.Join(root, "etc/b.conf")); string(b) != "beta\nbeta\n" {
					t.Errorf("b.conf of the skipped rule was changed: %q", b)
				}
				if !slices.ContainsFunc(run.Skipped, func(s Skip) bool { return s.Path == "/etc/b.conf" && strings.Contains(s.Reason, "/etc/a.conf") }) {
					t.Errorf("skipped = %+v", run.Skipped)
				}
			}
			if b, _ := os.ReadFile(filepath.Join(root, "etc/old.conf")); b != nil {
				t.Errorf("other rules not applied: old.conf = %q", b)
			}
			// Rollback keeps the edit too.
			if _, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{}); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(a); string(b) != "alpha\nadded by an administrator\n" {
				t.Errorf("rollback lost the edit: %q", b)
			}
		})
	}

	t.Run("mode changed before a chmod", func(t *testing.T) {
		root, _ := newTree(t, t.TempDir())
		s := openStore(t)
		p := filepath.Join(root, "etc/chmod.conf")
		run, err := planApply(t, s, root, testChanges(), "start", func(string) bool { must(t, os.Chmod(p, 0o400)); return true })
		must(t, err)
		if fi, _ := os.Stat(p); fi.Mode() != 0o400 {
			t.Errorf("mode = %v", fi.Mode())
		}
		if !slices.ContainsFunc(run.Skipped, func(s Skip) bool { return s.Path == "/etc/chmod.conf" && strings.Contains(s.Reason, "mode changed") }) {
			t.Errorf("skipped = %+v", run.Skipped)
		}
	})
}

// A directory the plan creates appears before apply: it is left alone,
// and so is everything the run would have made below it, whatever rule
// it belongs to.
func TestRaceDirectoryAppeared(t *testing.T) {
	needRoot(t)
	root, _ := newTree(t, t.TempDir())
	s := openStore(t)
	changes := append(testChanges(), remedy.PathChange{Path: "etc/new/other.conf", Action: remedy.ActWrite, Data: []byte("x\n"), Mode: 0o644, ModeSet: true, OwnerSet: true, Rules: []string{"R7"}})
	run, err := planApply(t, s, root, changes, "start", func(string) bool {
		must(t, os.Mkdir(filepath.Join(root, "etc/new"), 0o700))
		return true
	})
	must(t, err)
	var got []string
	for _, sk := range run.Skipped {
		got = append(got, sk.Path)
	}
	if want := []string{"/etc/new", "/etc/new/deep", "/etc/new/deep/x.conf", "/etc/new/other.conf"}; !slices.Equal(got, want) {
		t.Errorf("skipped %v, want %v (%+v)", got, want, run.Skipped)
	}
	if ents, _ := os.ReadDir(filepath.Join(root, "etc/new")); len(ents) != 0 {
		t.Errorf("written into the directory that appeared: %v", ents)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/a.conf")); string(b) != "alpha\nmore\n" {
		t.Errorf("other rules not applied: a.conf = %q", b)
	}
}

func TestRaceDirectorySwap(t *testing.T) {
	needRoot(t)
	root, host := raceTree(t)
	before, hostBefore := treeHash(t, filepath.Join(root, "etc")), treeHash(t, host)
	s := openStore(t)
	_, err := planApply(t, s, root, testChanges(), "start", func(string) bool {
		must(t, os.Rename(filepath.Join(root, "etc"), filepath.Join(root, "etc.orig")))
		must(t, os.Symlink(filepath.Join(host, "etc"), filepath.Join(root, "etc")))
		return true
	})
	if err == nil || !strings.Contains(err.Error(), errSymlink.Error()) {
		t.Errorf("apply: %v", err)
	}
	sameTree(t, hostBefore, treeHash(t, host))
	must(t, os.Remove(filepath.Join(root, "etc")))
	must(t, os.Rename(filepath.Join(root, "etc.orig"), filepath.Join(root, "etc")))
	sameTree(t, before, treeHash(t, filepath.Join(root, "etc")))
	noRuns(t, s)
}

func mode(t *testing.T, p string) (fs.FileMode, uint32) {
	t.Helper()
	fi, err := os.Lstat(p)
	must(t, err)
	return fi.Mode(), fi.Sys().(*syscall.Stat_t).Uid
}

func TestRaceHardLink(t *testing.T) {
	needRoot(t)
	chmodSuid := []remedy.PathChange{
		{Path: "usr/bin/suid", Action: remedy.ActMeta, Mode: 0o755, ModeSet: true, Rules: []string{"fs.suid"}},
		{Path: "etc/chown.conf", Action: remedy.ActMeta, UID: 1000, GID: 1000, OwnerSet: true, Rules: []string{"own"}},
	}
	check := func(t *testing.T, run *Run, hostSu string) {
		t.Helper()
		if m, uid := mode(t, hostSu); m != 0o755|fs.ModeSetuid || uid != 0 {
			t.Errorf("host file changed through its hard link: %v uid %d", m, uid)
		}
		if !slices.ContainsFunc(run.Skipped, func(s Skip) bool { return s.Path == "/usr/bin/suid" && strings.Contains(s.Reason, "hard links") }) {
			t.Errorf("skipped = %+v", run.Skipped)
		}
		if !slices.Equal(run.Paths, []string{"/etc/chown.conf"}) {
			t.Errorf("paths = %v", run.Paths)
		}
	}
	t.Run("linked before the plan", func(t *testing.T) {
		root, host := raceTree(t)
		p := filepath.Join(root, "usr/bin/suid")
		must(t, os.Remove(p))
		must(t, os.Link(filepath.Join(host, "usr/bin/su"), p))
		s := openStore(t)
		run, err := applyPlanned(t, s, root, Run{}, chmodSuid, nil, ApplyOptions{})
		must(t, err)
		check(t, run, filepath.Join(host, "usr/bin/su"))
	})
	t.Run("linked between plan and apply", func(t *testing.T) {
		root, host := raceTree(t)
		p := filepath.Join(root, "usr/bin/suid")
		// The host file has the same mode and owner as the planned one.
		s := openStore(t)
		run, err := planApply(t, s, root, chmodSuid, "start", func(string) bool {
			must(t, os.Remove(p))
			must(t, os.Link(filepath.Join(host, "usr/bin/su"), p))
			return true
		})
		must(t, err)
		check(t, run, filepath.Join(host, "usr/bin/su"))
	})
	t.Run("linked after journaling", func(t *testing.T) {
		root, host := raceTree(t)
		p := filepath.Join(root, "usr/bin/suid")
		out := filepath.Join(host, "usr/bin/linked")
		s := openStore(t)
		run, err := planApply(t, s, root, chmodSuid, "journal", func(string) bool { must(t, os.Link(p, out)); return true })
		must(t, err)
		if m, _ := mode(t, out); m != 0o755|fs.ModeSetuid {
			t.Errorf("linked file changed: %v", m)
		}
		check(t, run, filepath.Join(host, "usr/bin/su"))
		// Rollback leaves the path alone: the run never changed it.
		must(t, os.Remove(out))
		if _, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("FIFO linked after journaling", func(t *testing.T) {
		root, host := raceTree(t)
		p := filepath.Join(root, "etc/fifo")
		must(t, unix.Mkfifo(p, 0o666))
		want, _ := mode(t, p)
		out := filepath.Join(host, "fifo")
		s := openStore(t)
		ch := []remedy.PathChange{{Path: "etc/fifo", Action: remedy.ActMeta, Mode: 0o600, ModeSet: true, Rules: []string{"fifo"}}}
		run, err := planApply(t, s, root, ch, "journal", func(string) bool { must(t, os.Link(p, out)); return true })
		must(t, err)
		if m, _ := mode(t, out); m != want {
			t.Errorf("linked FIFO changed: %v", m)
		}
		if len(run.Skipped) != 1 || !strings.Contains(run.Skipped[0].Reason, "hard links") {
			t.Errorf("skipped = %+v", run.Skipped)
		}
	})
	t.Run("content replaced by rename", func(t *testing.T) {
		// A write makes a new file: other links keep their content, mode
		// and owner.
		root, host := raceTree(t)
		p := filepath.Join(root, "etc/a.conf")
		must(t, os.Remove(p))
		must(t, os.Link(filepath.Join(host, "etc/a.conf"), p))
		hostBefore := treeHash(t, host)
		s := openStore(t)
		run, err := applyPlanned(t, s, root, Run{}, []remedy.PathChange{{Path: "etc/a.conf", Action: remedy.ActWrite, Data: []byte("new\n"), Mode: 0o600, ModeSet: true}}, nil, ApplyOptions{})
		must(t, err)
		if len(run.Skipped) != 0 {
			t.Errorf("skipped = %+v", run.Skipped)
		}
		sameTree(t, hostBefore, treeHash(t, host))
		if b, _ := os.ReadFile(p); string(b) != "new\n" {
			t.Errorf("a.conf = %q", b)
		}
	})
}

// setImmutable sets or clears the immutable flag (chattr +i) of p.
func setImmutable(t *testing.T, p string, on bool) bool {
	t.Helper()
	f, err := os.Open(p)
	must(t, err)
	defer f.Close()
	flags, err := unix.IoctlGetInt(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return false
	}
	const immutable = 0x10 // FS_IMMUTABLE_FL
	if on {
		flags |= immutable
	} else {
		flags &^= immutable
	}
	return unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, flags) == nil
}

// A run stopped by an immutable file it could not change; rollback
// restores the rest and does not touch that file.
func TestRollbackSkipsUntouchedImmutable(t *testing.T) {
	needRoot(t)
	root, _ := newTree(t, t.TempDir())
	before := treeHash(t, root)
	p := filepath.Join(root, "etc/chmod.conf")
	if !setImmutable(t, p, true) {
		t.Skip("no immutable flag on this file system")
	}
	t.Cleanup(func() { setImmutable(t, p, false) })
	s := openStore(t)
	run, err := applyPlanned(t, s, root, Run{}, testChanges(), nil, ApplyOptions{})
	if err == nil || run == nil || run.State != StateFailed {
		t.Fatalf("apply on an immutable file: %v %+v", err, run)
	}
	if _, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{}); err != nil {
		t.Fatal(err)
	}
	setImmutable(t, p, false)
	sameTree(t, before, treeHash(t, root))
}

// A path that cannot be restored does not stop the rest: rollback
// reports it, the run stays, and a later rollback finishes.
func TestRollbackContinuesPastErrors(t *testing.T) {
	needRoot(t)
	root, before, s, run := applied(t)
	dir := filepath.Join(root, "usr/bin")
	if !setImmutable(t, dir, true) {
		t.Skip("no immutable flag on this file system")
	}
	t.Cleanup(func() { setImmutable(t, dir, false) })
	res, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{})
	var ie *IncompleteError
	if !errors.As(err, &ie) || !errors.Is(err, ErrIncomplete) {
		t.Fatalf("err = %v, want an IncompleteError", err)
	}
	if len(ie.Failed) == 0 || ie.Failed[0].Path != "/usr/bin/suid" || !slices.Equal(res.Failed, ie.Failed) {
		t.Errorf("failed = %+v", ie.Failed)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/a.conf")); string(b) != "alpha\n" {
		t.Errorf("the rest was not restored: a.conf = %q", b)
	}
	if r, _ := s.Get(run.ID); r.State != StateApplied {
		t.Errorf("state = %s", r.State)
	}
	setImmutable(t, dir, false)
	if _, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{}); err != nil {
		t.Fatal(err)
	}
	sameTree(t, before, treeHash(t, root))
}

// A mode or owner change keeps no copy of the content; a second rollback
// does nothing and says so.
func TestMetaOnlyAndRepeatedRollback(t *testing.T) {
	needRoot(t)
	root, before, s, run := applied(t)
	for _, body := range []string{"chmod me\n", "chown me\n"} {
		if _, err := os.Stat(blobPath(s.runDir(run.ID), remedy.Digest([]byte(body)))); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("content %q copied into the journal: %v", body, err)
		}
	}
	if _, err := os.Stat(blobPath(s.runDir(run.ID), remedy.Digest([]byte("beta\nbeta\n")))); err != nil {
		t.Errorf("replaced content not journaled: %v", err)
	}
	res, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{})
	must(t, err)
	if res.Already {
		t.Error("first rollback reported as a repeat")
	}
	sameTree(t, before, treeHash(t, root))
	jp := journalPath(s.runDir(run.ID))
	fi, err := os.Stat(jp)
	must(t, err)
	res, err = s.Rollback(context.Background(), root, run.ID, RollbackOptions{})
	must(t, err)
	if !res.Already || len(res.Restored)+len(res.Removed) > 0 {
		t.Errorf("second rollback: %+v", res)
	}
	if fi2, _ := os.Stat(jp); fi2.Size() != fi.Size() {
		t.Error("second rollback wrote to the journal")
	}
}
