//go:build linux

package journal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cradle-cra/cradle/internal/remedy"
)

// resolvers runs f once with openat2 and once with the O_NOFOLLOW walk
// used where openat2 is unavailable.
func resolvers(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, walk := range []bool{false, true} {
		name := "openat2"
		if walk {
			name = "walk"
		}
		t.Run(name, func(t *testing.T) {
			saved := noOpenat2.Load()
			noOpenat2.Store(walk)
			t.Cleanup(func() { noOpenat2.Store(saved) })
			f(t)
		})
	}
}

const (
	victim = "home/alice/sub/shadow" // the path a plan changes
	subDir = "home/alice/sub"        // a directory its user controls
)

// attackTree builds a tree with a user's file and a secret one outside
// the user's directory.
func attackTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	for _, f := range []struct {
		name, body string
		mode       os.FileMode
		uid        int
	}{
		{victim, "alice\n", 0o644, 1000},
		{"etc/shadow", "root:secret\n", 0o640, 0},
	} {
		p := filepath.Join(root, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.body), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, f.uid, f.uid); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(filepath.Join(root, subDir), 1000, 1000); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()
	err := filepath.WalkDir(root, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{unix.NsecToTimespec(old), unix.NsecToTimespec(old)}, unix.AT_SYMLINK_NOFOLLOW)
	})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// snapshot is what an attack must not change (etc) and what rollback
// must restore (the user's directory).
func snapshot(t *testing.T, root string) (etc, sub string) {
	t.Helper()
	return treeHash(t, filepath.Join(root, "etc")), treeHash(t, filepath.Join(root, subDir))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// An attack changes the tree between journaling and acting; undo puts the
// user's directory back.
type attack struct {
	name       string
	do, undo   func(t *testing.T, root string)
	finalOnly  bool // needs an existing final name
	symlinked  bool // leaves a symlink in the path (rollback refuses it too)
	wantSubstr string
}

func attacks() []attack {
	sub := func(root string) string { return filepath.Join(root, subDir) }
	return []attack{
		{
			name:      "parent swapped for a symlink",
			symlinked: true,
			do: func(t *testing.T, root string) {
				must(t, os.Rename(sub(root), sub(root)+".orig"))
				must(t, os.Symlink("../../etc", sub(root)))
			},
			undo: func(t *testing.T, root string) {
				must(t, os.Remove(sub(root)))
				must(t, os.Rename(sub(root)+".orig", sub(root)))
			},
			wantSubstr: "/home/alice/sub: " + errSymlink.Error(),
		},
		{
			name: "parent swapped for another directory",
			do: func(t *testing.T, root string) {
				must(t, os.Rename(sub(root), sub(root)+".orig"))
				must(t, os.Mkdir(sub(root), 0o755))
				must(t, os.WriteFile(filepath.Join(sub(root), "shadow"), []byte("alice\n"), 0o644))
			},
			undo: func(t *testing.T, root string) {
				must(t, os.RemoveAll(sub(root)))
				must(t, os.Rename(sub(root)+".orig", sub(root)))
			},
			wantSubstr: "directory replaced since it was journaled",
		},
		{
			name:      "file swapped for a symlink",
			finalOnly: true,
			do: func(t *testing.T, root string) {
				p := filepath.Join(root, victim)
				must(t, os.Rename(p, p+".orig"))
				must(t, os.Symlink("../../../etc/shadow", p))
			},
			undo: func(t *testing.T, root string) {
				p := filepath.Join(root, victim)
				must(t, os.Remove(p))
				must(t, os.Rename(p+".orig", p))
			},
			wantSubstr: "was a file when journaled, now a symlink",
		},
	}
}

func TestParentSwapApply(t *testing.T) {
	needRoot(t)
	changes := []remedy.PathChange{
		{Path: victim, Action: remedy.ActMeta, Mode: 0o666, ModeSet: true},
		{Path: victim, Action: remedy.ActMeta, UID: 1234, GID: 1234, OwnerSet: true},
		{Path: victim, Action: remedy.ActWrite, Data: []byte("pwned\n"), Mode: 0o666, ModeSet: true},
		{Path: victim, Action: remedy.ActRemove},
		{Path: victim, Action: remedy.ActSymlink, Link: "/dev/null"},
		{Path: subDir + "/newfile", Action: remedy.ActWrite, Data: []byte("x\n"), Mode: 0o644, ModeSet: true},
		{Path: subDir + "/newdir", Action: remedy.ActMkdir, Mode: 0o755, ModeSet: true},
	}
	resolvers(t, func(t *testing.T) {
		for _, a := range attacks() {
			for _, c := range changes {
				if a.finalOnly && c.Path != victim {
					continue
				}
				t.Run(a.name+"/"+string(c.Action)+" "+filepath.Base(c.Path)+" "+c.Mode.String(), func(t *testing.T) {
					root := attackTree(t)
					etc, sub := snapshot(t, root)
					s := openStore(t)
					hook := func(step, p string) {
						if step == "journal" && p == c.Path {
							a.do(t, root)
						}
					}
					run, err := applyPlanned(t, s, root, Run{}, []remedy.PathChange{c}, nil, ApplyOptions{Step: hook})
					if err == nil || !strings.Contains(err.Error(), a.wantSubstr) {
						t.Errorf("apply: %v, want an error with %q", err, a.wantSubstr)
					}
					if run == nil || run.State != StateFailed {
						t.Errorf("run = %+v", run)
					}
					sameTree(t, etc, treeHash(t, filepath.Join(root, "etc")))
					if run == nil {
						return
					}

					// Rollback resolves paths the same way: forced or not, a
					// symlinked parent is refused.
					for _, force := range []bool{false, true} {
						if !a.symlinked {
							break
						}
						_, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{Force: force})
						if err == nil || !strings.Contains(err.Error(), a.wantSubstr) {
							t.Errorf("rollback (force %v) through the symlink: %v", force, err)
						}
						sameTree(t, etc, treeHash(t, filepath.Join(root, "etc")))
					}
					a.undo(t, root)
					if _, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{}); err != nil {
						t.Fatal(err)
					}
					sameTree(t, sub, treeHash(t, filepath.Join(root, subDir)))
					sameTree(t, etc, treeHash(t, filepath.Join(root, "etc")))
				})
			}
		}
	})
}

// After a finished run, a parent swapped for a symlink must not make
// Rollback write the journaled (user-controlled) content elsewhere.
func TestParentSwapRollback(t *testing.T) {
	needRoot(t)
	changes := []remedy.PathChange{
		{Path: victim, Action: remedy.ActMeta, Mode: 0o600, ModeSet: true},
		{Path: victim, Action: remedy.ActWrite, Data: []byte("hardened\n")},
		{Path: victim, Action: remedy.ActRemove},
		{Path: subDir + "/newfile", Action: remedy.ActWrite, Data: []byte("x\n"), Mode: 0o644, ModeSet: true},
	}
	resolvers(t, func(t *testing.T) {
		for _, c := range changes {
			t.Run(string(c.Action)+" "+filepath.Base(c.Path), func(t *testing.T) {
				root := attackTree(t)
				etc, sub := snapshot(t, root)
				s := openStore(t)
				run, err := applyPlanned(t, s, root, Run{}, []remedy.PathChange{c}, nil, ApplyOptions{})
				must(t, err)
				p := filepath.Join(root, subDir)
				must(t, os.Rename(p, p+".orig"))
				must(t, os.Symlink("../../etc", p))
				for _, force := range []bool{false, true} {
					_, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{Force: force})
					if err == nil || !strings.Contains(err.Error(), "/home/alice/sub: "+errSymlink.Error()) {
						t.Errorf("rollback (force %v): %v", force, err)
					}
					sameTree(t, etc, treeHash(t, filepath.Join(root, "etc")))
				}
				if r, _ := s.Get(run.ID); r.State != StateApplied {
					t.Errorf("state = %s", r.State)
				}
				must(t, os.Remove(p))
				must(t, os.Rename(p+".orig", p))
				_, err = s.Rollback(context.Background(), root, run.ID, RollbackOptions{})
				must(t, err)
				sameTree(t, sub, treeHash(t, filepath.Join(root, subDir)))
				sameTree(t, etc, treeHash(t, filepath.Join(root, "etc")))
			})
		}
	})
}

// lastTmp is the temporary name in the newest record of the store's only
// run.
func lastTmp(t *testing.T, s *Store) string {
	t.Helper()
	runs, err := s.List()
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs = %v, %v", runs, err)
	}
	recs, err := readJournal(s.runDir(runs[0].ID))
	if err != nil || len(recs) == 0 || recs[len(recs)-1].Tmp == "" {
		t.Fatalf("journal: %v %+v", err, recs)
	}
	return recs[len(recs)-1].Tmp
}

// A symlink planted at the temporary name is neither followed nor
// replaced, by Apply or by Rollback.
func TestPlantedTemporary(t *testing.T) {
	needRoot(t)
	plant := func(t *testing.T, root, tmp string) {
		if !strings.Contains(tmp, ".shadow.cradle-") || strings.HasSuffix(tmp, ".cradle-") {
			t.Errorf("temporary name %q", tmp)
		}
		must(t, os.Symlink("../../../etc/shadow", filepath.Join(root, tmp)))
	}
	change := []remedy.PathChange{{Path: victim, Action: remedy.ActWrite, Data: []byte("pwned\n"), Mode: 0o666, ModeSet: true}}

	t.Run("apply", func(t *testing.T) {
		root := attackTree(t)
		etc, sub := snapshot(t, root)
		s := openStore(t)
		hook := func(step, p string) {
			if step == "journal" {
				plant(t, root, lastTmp(t, s))
			}
		}
		run, err := applyPlanned(t, s, root, Run{}, change, nil, ApplyOptions{Step: hook})
		if !errors.Is(err, os.ErrExist) {
			t.Errorf("apply: %v, want it to find the name taken", err)
		}
		sameTree(t, etc, treeHash(t, filepath.Join(root, "etc")))
		_, err = s.Rollback(context.Background(), root, run.ID, RollbackOptions{})
		must(t, err)
		sameTree(t, sub, treeHash(t, filepath.Join(root, subDir))) // the planted link is gone
		sameTree(t, etc, treeHash(t, filepath.Join(root, "etc")))
	})

	t.Run("rollback", func(t *testing.T) {
		root := attackTree(t)
		etc, sub := snapshot(t, root)
		s := openStore(t)
		run, err := applyPlanned(t, s, root, Run{}, change, nil, ApplyOptions{})
		must(t, err)
		hook := func(step, p string) {
			if step == "rb-tmp-journal" {
				plant(t, root, lastTmp(t, s))
			}
		}
		_, err = s.Rollback(context.Background(), root, run.ID, RollbackOptions{Step: hook})
		if !errors.Is(err, os.ErrExist) {
			t.Errorf("rollback: %v, want it to find the name taken", err)
		}
		sameTree(t, etc, treeHash(t, filepath.Join(root, "etc")))
		_, err = s.Rollback(context.Background(), root, run.ID, RollbackOptions{})
		must(t, err)
		sameTree(t, sub, treeHash(t, filepath.Join(root, subDir)))
		sameTree(t, etc, treeHash(t, filepath.Join(root, "etc")))
	})
}

// pkgRuntime makes a runtime change and then fails, as if the process had
// been killed after the package manager ran but before Apply recorded it.
type pkgRuntime struct {
	state    map[string]string
	reverted []string
}

func (p *pkgRuntime) Apply(_ context.Context, rc remedy.Runtime) (string, error) {
	p.state[rc.Key] = rc.Value
	if rc.Kind == remedy.KindPackage {
		p.state[rc.Key] = map[string]string{"install": "installed", "remove": "absent"}[rc.Action]
	}
	return "", errors.New("killed")
}

func (p *pkgRuntime) Revert(_ context.Context, rc remedy.Runtime, old string) error {
	p.state[rc.Key] = old
	p.reverted = append(p.reverted, rc.Key+"="+old)
	return nil
}

func TestInterruptedRuntimeRevert(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		rc     remedy.Runtime
		before string
		revert bool // the previous state is known
	}{
		{remedy.Runtime{Kind: remedy.KindPackage, Key: "telnetd", Action: "remove"}, "installed", true},
		{remedy.Runtime{Kind: remedy.KindPackage, Key: "auditd", Action: "install"}, "absent", true},
		{remedy.Runtime{Kind: remedy.KindSysctl, Key: "kernel.a", Value: "1", Old: "0"}, "0", true},
		{remedy.Runtime{Kind: remedy.KindSysctl, Key: "kernel.b", Value: "1"}, "0", false},
	} {
		t.Run(tc.rc.Key, func(t *testing.T) {
			root, _ := newTree(t, t.TempDir())
			before := treeHash(t, root)
			s := openStore(t)
			f := &pkgRuntime{state: map[string]string{tc.rc.Key: tc.before}}
			run, err := applyPlanned(t, s, root, Run{}, testChanges()[2:4], []remedy.Runtime{tc.rc}, ApplyOptions{Runtime: f})
			if err == nil || run == nil || run.State != StateFailed {
				t.Fatalf("apply: %v %+v", err, run)
			}
			res, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{Runtime: f})
			sameTree(t, before, treeHash(t, root)) // files are restored either way
			got, _ := s.Get(run.ID)
			if !tc.revert {
				if err == nil || !strings.Contains(err.Error(), "kernel.b") || got.State == StateRolledBack || res == nil {
					t.Errorf("unknown previous value: %v, state %s", err, got.State)
				}
				if len(f.reverted) != 0 {
					t.Errorf("reverted %v", f.reverted)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.state[tc.rc.Key] != tc.before || len(f.reverted) != 1 {
				t.Errorf("state %v, reverted %v, want %s", f.state, f.reverted, tc.before)
			}
			if got.State != StateRolledBack {
				t.Errorf("state = %s", got.State)
			}
		})
	}
}

// The O_NOFOLLOW walk gives the same apply and rollback as openat2.
func TestWalkResolverRoundTrip(t *testing.T) {
	needRoot(t)
	saved := noOpenat2.Load()
	noOpenat2.Store(true)
	t.Cleanup(func() { noOpenat2.Store(saved) })
	root, before, s, run := applied(t)
	if _, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{}); err != nil {
		t.Fatal(err)
	}
	sameTree(t, before, treeHash(t, root))
}

// Special files get mode and owner through an O_PATH descriptor: opening
// a FIFO for I/O would block.
func TestSpecialFileMeta(t *testing.T) {
	needRoot(t)
	resolvers(t, func(t *testing.T) {
		root := attackTree(t)
		fifo := filepath.Join(root, subDir, "fifo")
		must(t, unix.Mkfifo(fifo, 0o644))
		etc := treeHash(t, filepath.Join(root, "etc"))
		var before unix.Stat_t
		must(t, unix.Lstat(fifo, &before))
		s := openStore(t)
		c := []remedy.PathChange{{Path: subDir + "/fifo", Action: remedy.ActMeta, Mode: 0o600 | os.ModeSticky, ModeSet: true, UID: 7, GID: 8, OwnerSet: true}}
		run, err := applyPlanned(t, s, root, Run{}, c, nil, ApplyOptions{})
		must(t, err)
		var st unix.Stat_t
		must(t, unix.Lstat(fifo, &st))
		if st.Mode&0o7777 != 0o1600 || st.Uid != 7 || st.Gid != 8 {
			t.Errorf("fifo: mode %o owner %d:%d", st.Mode&0o7777, st.Uid, st.Gid)
		}
		_, err = s.Rollback(context.Background(), root, run.ID, RollbackOptions{})
		must(t, err)
		must(t, unix.Lstat(fifo, &st))
		if st.Mode != before.Mode || st.Uid != before.Uid || st.Gid != before.Gid || st.Ino != before.Ino {
			t.Errorf("fifo after rollback: mode %o owner %d:%d", st.Mode, st.Uid, st.Gid)
		}

		// A FIFO swapped for a symlink is not followed.
		hook := func(step, p string) {
			if step == "journal" {
				must(t, os.Remove(fifo))
				must(t, os.Symlink("../../../etc/shadow", fifo))
			}
		}
		if _, err := applyPlanned(t, s, root, Run{}, c, nil, ApplyOptions{Step: hook}); err == nil {
			t.Error("apply through a swapped-in symlink: no error")
		}
		sameTree(t, etc, treeHash(t, filepath.Join(root, "etc")))
	})
}
