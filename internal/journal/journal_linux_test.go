//go:build linux

package journal

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cradle-cra/cradle/internal/remedy"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (owners, setuid bits, trusted xattrs)")
	}
}

// posixACL encodes a system.posix_acl_access value: owner rw, user 1000 r,
// group r, mask r, other none.
func posixACL() []byte {
	type ent struct {
		tag, perm uint16
		id        uint32
	}
	const undef = 0xffffffff
	ents := []ent{{0x01, 6, undef}, {0x02, 4, 1000}, {0x04, 4, undef}, {0x10, 4, undef}, {0x20, 0, undef}}
	b := binary.LittleEndian.AppendUint32(nil, 2)
	for _, e := range ents {
		b = binary.LittleEndian.AppendUint16(b, e.tag)
		b = binary.LittleEndian.AppendUint16(b, e.perm)
		b = binary.LittleEndian.AppendUint32(b, e.id)
	}
	return b
}

// makeTree builds the small test tree in a new directory; acl says
// whether the POSIX ACL could be set.
func makeTree(t *testing.T, root string) (acl bool) {
	t.Helper()
	files := []struct {
		name, body string
		mode       fs.FileMode
		uid, gid   int
	}{
		{"etc/a.conf", "alpha\n", 0o644, 1234, 5678},
		{"etc/b.conf", "beta\nbeta\n", 0o640, 0, 0},
		{"etc/chmod.conf", "chmod me\n", 0o644, 0, 0},
		{"etc/chown.conf", "chown me\n", 0o644, 0, 0},
		{"etc/old.conf", "remove me\n", 0o600, 0, 0},
		{"etc/keep.conf", "untouched\n", 0o644, 0, 0},
		{"usr/bin/suid", "old binary\x00\x01", 0o4755, 0, 0},
	}
	for _, f := range files {
		p := filepath.Join(root, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, f.uid, f.gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode|fs.FileMode(0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "usr/bin/suid"), 0o755|fs.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a.conf", filepath.Join(root, "etc/link")); err != nil {
		t.Fatal(err)
	}
	b := filepath.Join(root, "etc/b.conf")
	if err := unix.Setxattr(b, "user.cradle-test", []byte("label"), 0); err != nil {
		t.Fatalf("user xattr: %v", err)
	}
	if err := unix.Setxattr(b, "trusted.cradle-test", []byte{0, 1, 2}, 0); err != nil {
		t.Fatalf("trusted xattr: %v", err)
	}
	acl = unix.Setxattr(b, "system.posix_acl_access", posixACL(), 0) == nil
	// A fixed past time for everything, so a restored time cannot match by
	// coincidence with "now".
	old := time.Date(2020, 1, 2, 3, 4, 5, 600700800, time.UTC)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ts := []unix.Timespec{unix.NsecToTimespec(old.UnixNano()), unix.NsecToTimespec(old.UnixNano())}
		return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
	})
	if err != nil {
		t.Fatal(err)
	}
	return acl
}

// fastDir returns a new directory on tmpfs when it supports what makeTree
// needs: the fault-injection tests kill processes rather than machines, so
// they gain nothing from paying for real fsyncs. Elsewhere t.TempDir.
func fastDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("/dev/shm", "cradle-journal-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if unix.Setxattr(d, "user.cradle-probe", []byte("1"), 0) != nil || unix.Setxattr(d, "trusted.cradle-probe", []byte("1"), 0) != nil {
		return t.TempDir()
	}
	unix.Removexattr(d, "user.cradle-probe")
	unix.Removexattr(d, "trusted.cradle-probe")
	return d
}

func newTree(t *testing.T, dir string) (root string, acl bool) {
	t.Helper()
	root = filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	return root, makeTree(t, root)
}

// testChanges is the plan applied to makeTree's tree, in the order
// remedy.Changes.Final produces.
func testChanges() []remedy.PathChange {
	return []remedy.PathChange{
		{Path: "etc/new", Action: remedy.ActMkdir, Mode: 0o755, ModeSet: true, OwnerSet: true, Rules: []string{"R1"}},
		{Path: "etc/new/deep", Action: remedy.ActMkdir, Mode: 0o755, ModeSet: true, OwnerSet: true, Rules: []string{"R1"}},
		{Path: "etc/a.conf", Action: remedy.ActWrite, Data: []byte("alpha\nmore\n"), Rules: []string{"R2"}},
		{Path: "etc/b.conf", Action: remedy.ActWrite, Data: []byte("beta\nhardened\n"), Rules: []string{"R2"}},
		{Path: "etc/chmod.conf", Action: remedy.ActMeta, Mode: 0o600, ModeSet: true, Rules: []string{"R3"}},
		{Path: "etc/chown.conf", Action: remedy.ActMeta, UID: 1000, GID: 1001, OwnerSet: true, Rules: []string{"R3"}},
		{Path: "etc/link", Action: remedy.ActSymlink, Link: "/dev/null", OwnerSet: true, Rules: []string{"R4"}},
		{Path: "etc/new/deep/x.conf", Action: remedy.ActWrite, Data: []byte("new file\n"), Mode: 0o640, ModeSet: true, OwnerSet: true, Rules: []string{"R1"}},
		{Path: "usr/bin/suid", Action: remedy.ActWrite, Data: []byte("new binary\x00\x02\x03"), Rules: []string{"R5"}},
		{Path: "etc/old.conf", Action: remedy.ActRemove, Rules: []string{"R6"}},
	}
}

// treeHash describes every path under root: type, mode with special bits,
// owner, size, mtime (directories included), content or link target and
// sorted xattrs. Directory sizes are left out: ext4 never shrinks them.
func treeHash(t *testing.T, root string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %v uid=%d gid=%d mtime=%d", rel, fi.Mode(), st.Uid, st.Gid, st.Mtim.Nano())
		switch {
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" size=%d sha=%x", fi.Size(), sha256.Sum256(b))
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			line += fmt.Sprintf(" size=%d -> %s", fi.Size(), l)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			line += " xattrs=" + xattrString(t, p)
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

func xattrString(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	xs, err := listXattrs(f)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, x := range xs {
		parts = append(parts, fmt.Sprintf("%s=%x", x.Name, x.Value))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func sameTree(t *testing.T, want, got string) {
	t.Helper()
	if want == got {
		return
	}
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for _, l := range w {
		if !slices.Contains(g, l) {
			t.Errorf("missing: %s", l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			t.Errorf("extra:   %s", l)
		}
	}
}

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "runs", "k"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func apply(t *testing.T, s *Store, root string, opts ApplyOptions) *Run {
	t.Helper()
	run, err := applyPlanned(t, s, root, Run{Target: root, Reason: "test"}, testChanges(), nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// applied builds makeTree's tree and applies testChanges to it through a
// new store; before is the tree's hash from before the run.
func applied(t *testing.T) (root, before string, s *Store, run *Run) {
	t.Helper()
	root, _ = newTree(t, t.TempDir())
	before = treeHash(t, root)
	s = openStore(t)
	return root, before, s, apply(t, s, root, ApplyOptions{})
}

func TestApplyRollback(t *testing.T) {
	needRoot(t)
	root, before, s, run := applied(t)
	// makeTree could set the ACL where the tree's hash shows it.
	acl := strings.Contains(before, "system.posix_acl_access=")
	if run.State != StateApplied || run.Ops != 10 || len(run.Paths) != 10 || run.User == "" {
		t.Errorf("run = %+v", run)
	}
	if want := []string{"R1", "R2", "R3", "R4", "R5", "R6"}; !slices.Equal(run.Rules, want) {
		t.Errorf("rules = %v, want %v", run.Rules, want)
	}

	// The result is what the plan asked, and existing files keep their
	// owner, mode and xattrs.
	type want struct {
		path, body, link string
		mode             fs.FileMode
		uid, gid         uint32
		absent           bool
	}
	for _, w := range []want{
		{path: "etc/new", mode: fs.ModeDir | 0o755},
		{path: "etc/new/deep", mode: fs.ModeDir | 0o755},
		{path: "etc/new/deep/x.conf", body: "new file\n", mode: 0o640},
		{path: "etc/a.conf", body: "alpha\nmore\n", mode: 0o644, uid: 1234, gid: 5678},
		{path: "etc/b.conf", body: "beta\nhardened\n", mode: 0o640},
		{path: "etc/chmod.conf", body: "chmod me\n", mode: 0o600},
		{path: "etc/chown.conf", body: "chown me\n", mode: 0o644, uid: 1000, gid: 1001},
		{path: "etc/link", link: "/dev/null", mode: fs.ModeSymlink | 0o777},
		{path: "usr/bin/suid", body: "new binary\x00\x02\x03", mode: fs.ModeSetuid | 0o755},
		{path: "etc/old.conf", absent: true},
	} {
		p := filepath.Join(root, w.path)
		fi, err := os.Lstat(p)
		if w.absent {
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s: exists after removal", w.path)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", w.path, err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode() != w.mode || st.Uid != w.uid || st.Gid != w.gid {
			t.Errorf("%s: %v %d:%d, want %v %d:%d", w.path, fi.Mode(), st.Uid, st.Gid, w.mode, w.uid, w.gid)
		}
		if w.link != "" {
			if l, _ := os.Readlink(p); l != w.link {
				t.Errorf("%s -> %s, want %s", w.path, l, w.link)
			}
		} else if fi.Mode().IsRegular() {
			if b, _ := os.ReadFile(p); string(b) != w.body {
				t.Errorf("%s = %q, want %q", w.path, b, w.body)
			}
		}
	}
	xs := xattrString(t, filepath.Join(root, "etc/b.conf"))
	for _, name := range []string{"user.cradle-test", "trusted.cradle-test"} {
		if !strings.Contains(xs, name) {
			t.Errorf("etc/b.conf lost %s: %s", name, xs)
		}
	}
	if acl && !strings.Contains(xs, fmt.Sprintf("system.posix_acl_access=%x", posixACL())) {
		t.Errorf("etc/b.conf lost its ACL: %s", xs)
	}
	if !acl {
		t.Log("POSIX ACLs not supported here; ACL preservation not checked")
	}
	leftovers, _ := filepath.Glob(filepath.Join(root, "*/.*cradle-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}

	res, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameTree(t, before, treeHash(t, root))
	if res.Run.State != StateRolledBack || res.Run.RolledBackAt == nil {
		t.Errorf("after rollback: %+v", res.Run)
	}
	slices.Sort(res.Removed)
	if want := []string{"/etc/new", "/etc/new/deep", "/etc/new/deep/x.conf"}; !slices.Equal(res.Removed, want) {
		t.Errorf("removed = %v, want %v", res.Removed, want)
	}
	if len(res.Restored) != 7 {
		t.Errorf("restored = %v", res.Restored)
	}

	// A second rollback is a no-op.
	res, err = s.Rollback(context.Background(), root, run.ID, RollbackOptions{})
	if err != nil || len(res.Restored)+len(res.Removed) > 0 {
		t.Errorf("second rollback: %v %+v", err, res)
	}
	sameTree(t, before, treeHash(t, root))
	got, err := s.Get(run.ID)
	if err != nil || got.State != StateRolledBack {
		t.Errorf("Get = %+v, %v", got, err)
	}
}

func TestRollbackChanged(t *testing.T) {
	needRoot(t)
	root, before, s, run := applied(t)
	if err := os.WriteFile(filepath.Join(root, "etc/b.conf"), []byte("edited by hand\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/new/deep/other"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "etc/chmod.conf"), 0o644); err != nil { // back to the prior mode: fine
		t.Fatal(err)
	}
	edited := treeHash(t, root)
	_, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{})
	var ce *ChangedError
	if !errors.Is(err, ErrChanged) || !errors.As(err, &ce) {
		t.Fatalf("err = %v, want ErrChanged", err)
	}
	if want := []string{"/etc/b.conf", "/etc/new/deep/other"}; !slices.Equal(ce.Paths, want) {
		t.Errorf("changed = %v, want %v", ce.Paths, want)
	}
	sameTree(t, edited, treeHash(t, root)) // nothing restored
	if r, _ := s.Get(run.ID); r.State != StateApplied {
		t.Errorf("state = %s", r.State)
	}

	if err := os.Remove(filepath.Join(root, "etc/new/deep/other")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	sameTree(t, before, treeHash(t, root))
}

func TestList(t *testing.T) {
	s := openStore(t)
	if runs, err := s.List(); err != nil || len(runs) != 0 {
		t.Fatalf("empty store: %v %v", runs, err)
	}
	t0 := time.Date(2026, 11, 27, 15, 30, 0, 0, time.UTC)
	var ids []string
	for i, tm := range []time.Time{t0, t0.Add(time.Hour), t0.Add(time.Minute)} {
		r := &Run{ID: s.NewID(tm), Time: tm, State: StateApplied, Target: strconv.Itoa(i)}
		if err := os.Mkdir(s.runDir(r.ID), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := s.saveRun(r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	runs, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.ID)
	}
	if want := []string{ids[1], ids[2], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	if !strings.HasPrefix(ids[0], "20261127T153000Z-") {
		t.Errorf("id = %s", ids[0])
	}
	if _, err := s.Get("20990101T000000Z-0000"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get unknown: %v", err)
	}
	if _, err := s.Get("../x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get ../x: %v", err)
	}
}

type fakeRuntime struct {
	vals map[string]string
	log  []string
}

func (f *fakeRuntime) Apply(_ context.Context, rc remedy.Runtime) (string, error) {
	old := f.vals[rc.Key]
	f.vals[rc.Key] = rc.Value
	f.log = append(f.log, "apply "+rc.Key)
	return old, nil
}

func (f *fakeRuntime) Revert(_ context.Context, rc remedy.Runtime, old string) error {
	f.vals[rc.Key] = old
	f.log = append(f.log, "revert "+rc.Key)
	return nil
}

func TestRuntime(t *testing.T) {
	needRoot(t)
	root, _ := newTree(t, t.TempDir())
	s := openStore(t)
	rt := []remedy.Runtime{
		{Kind: remedy.KindSysctl, Key: "kernel.a", Value: "1", Rules: []string{"S1"}},
		{Kind: remedy.KindSysctl, Key: "kernel.b", Value: "2", Rules: []string{"S2"}},
	}
	if _, err := applyPlanned(t, s, root, Run{}, nil, rt, ApplyOptions{}); err == nil {
		t.Error("runtime changes without an applier: no error")
	}
	f := &fakeRuntime{vals: map[string]string{"kernel.a": "0", "kernel.b": "0"}}
	run, err := applyPlanned(t, s, root, Run{}, testChanges()[:1], rt, ApplyOptions{Runtime: f})
	if err != nil {
		t.Fatal(err)
	}
	if f.vals["kernel.a"] != "1" || f.vals["kernel.b"] != "2" {
		t.Errorf("after apply: %v", f.vals)
	}
	if _, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{}); err == nil {
		t.Error("rollback without an applier: no error")
	}
	if _, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{Runtime: f}); err != nil {
		t.Fatal(err)
	}
	if f.vals["kernel.a"] != "0" || f.vals["kernel.b"] != "0" {
		t.Errorf("after rollback: %v", f.vals)
	}
	if want := []string{"apply kernel.a", "apply kernel.b", "revert kernel.b", "revert kernel.a"}; !slices.Equal(f.log, want) {
		t.Errorf("log = %v", f.log)
	}
}

// Fault injection: the child process runs an apply or a rollback and
// SIGKILLs itself at step k; the parent then rolls back.
const (
	envChild = "CRADLE_JOURNAL_CHILD" // "apply" or "rollback"
	envRoot  = "CRADLE_JOURNAL_ROOT"
	envStore = "CRADLE_JOURNAL_STORE"
	envKill  = "CRADLE_JOURNAL_KILL"
	envRun   = "CRADLE_JOURNAL_RUN"
)

func TestCrashChild(t *testing.T) {
	mode := os.Getenv(envChild)
	if mode == "" {
		t.Skip("helper process for the fault-injection tests")
	}
	k, _ := strconv.Atoi(os.Getenv(envKill))
	n := 0
	hook := func(step, p string) {
		if n++; n == k {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	s, err := Open(os.Getenv(envStore))
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "apply":
		_, err = applyPlanned(t, s, os.Getenv(envRoot), Run{Target: "crash"}, testChanges(), nil, ApplyOptions{Step: hook})
	case "rollback":
		_, err = s.Rollback(context.Background(), os.Getenv(envRoot), os.Getenv(envRun), RollbackOptions{Step: hook})
	}
	if err != nil {
		t.Fatal(err)
	}
}

// runChild runs TestCrashChild and requires it to die by SIGKILL.
func runChild(t *testing.T, mode, root, store, run string, k int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), envChild+"="+mode, envRoot+"="+root, envStore+"="+store, envRun+"="+run, envKill+"="+strconv.Itoa(k))
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child %s step %d was not killed: %v\n%s", mode, k, err, out)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child %s step %d: %v\n%s", mode, k, err, out)
	}
}

func countSteps(t *testing.T, f func(hook func(step, p string))) []string {
	t.Helper()
	var steps []string
	f(func(step, p string) { steps = append(steps, step+" "+p) })
	return steps
}

// killEachStep checks that steps holds every step in want, then once per
// step k, on a fresh tree and store, lets crash kill a child process at
// step k and return the run it left; rolling that run back must give the
// original tree.
func killEachStep(t *testing.T, steps, want []string, crash func(t *testing.T, s *Store, root string, k int) (runID string)) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(steps, w) {
			t.Errorf("no step %q in %v", w, steps)
		}
	}
	for k := 1; k <= len(steps); k++ {
		t.Run(strings.ReplaceAll(fmt.Sprintf("%02d %s", k, steps[k-1]), "/", "_"), func(t *testing.T) {
			t.Parallel()
			dir := fastDir(t)
			root, _ := newTree(t, dir)
			before := treeHash(t, root)
			s, err := Open(filepath.Join(dir, "store"))
			if err != nil {
				t.Fatal(err)
			}
			// No run: killed before anything was journaled or written.
			if id := crash(t, s, root, k); id != "" {
				if _, err := s.Rollback(context.Background(), root, id, RollbackOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			sameTree(t, before, treeHash(t, root))
		})
	}
}

func TestApplyKilled(t *testing.T) {
	needRoot(t)
	root, _ := newTree(t, t.TempDir())
	steps := countSteps(t, func(hook func(string, string)) { apply(t, openStore(t), root, ApplyOptions{Step: hook}) })
	want := []string{"journal etc/b.conf", "tmp-write-half etc/b.conf", "tmp-ready etc/b.conf", "renamed etc/b.conf",
		"tmp-ready etc/link", "mkdir etc/new", "meta etc/chmod.conf", "removed etc/old.conf", "done etc/old.conf"}
	killEachStep(t, steps, want, func(t *testing.T, s *Store, root string, k int) string {
		runChild(t, "apply", root, s.Dir(), "", k)
		runs, err := s.List()
		if err == nil && len(runs) == 0 && k <= 2 { // steps start and checked
			return ""
		}
		if err != nil || len(runs) != 1 {
			t.Fatalf("runs = %v, %v", runs, err)
		}
		if runs[0].State != StateApplying {
			t.Errorf("state = %s, want %s", runs[0].State, StateApplying)
		}
		return runs[0].ID
	})
}

func TestRollbackKilled(t *testing.T) {
	needRoot(t)
	root, _, s, run := applied(t)
	steps := countSteps(t, func(hook func(string, string)) {
		if _, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{Step: hook}); err != nil {
			t.Fatal(err)
		}
	})
	want := []string{"rb-tmp-ready etc/b.conf", "rb-renamed etc/b.conf", "rb-removed etc/new/deep/x.conf", "rb-rmdir etc/new", "rb-dirtimes etc"}
	killEachStep(t, steps, want, func(t *testing.T, s *Store, root string, k int) string {
		run := apply(t, s, root, ApplyOptions{})
		runChild(t, "rollback", root, s.Dir(), run.ID, k)
		return run.ID
	})
}

func TestBusyAndEscape(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	root, _ := newTree(t, dir)
	s := openStore(t)
	release, err := lockStore(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := applyPlanned(t, s, root, Run{}, testChanges(), nil, ApplyOptions{}); !errors.Is(err, ErrBusy) {
		t.Errorf("locked store: %v, want ErrBusy", err)
	}
	release()

	// A symlink leading out of the root cannot be written through.
	outside := filepath.Join(dir, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../outside", filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	ch := []remedy.PathChange{{Path: "out/evil", Action: remedy.ActWrite, Data: []byte("x"), Mode: 0o644, ModeSet: true, OwnerSet: true}}
	if _, err := applyPlanned(t, s, root, Run{}, ch, nil, ApplyOptions{}); err == nil {
		t.Error("write through an escaping symlink: no error")
	}
	if ents, _ := os.ReadDir(outside); len(ents) > 0 {
		t.Errorf("wrote outside the root: %v", ents)
	}
}

func TestTornRecord(t *testing.T) {
	needRoot(t)
	root, before, s, run := applied(t)
	f, err := os.OpenFile(journalPath(s.runDir(run.ID)), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"seq":99,"kind":"bef`) // a record cut short by a crash
	f.Close()
	if _, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{}); err != nil {
		t.Fatal(err)
	}
	sameTree(t, before, treeHash(t, root))
	recs, err := readJournal(s.runDir(run.ID))
	if err != nil || recs[len(recs)-1].Kind != recRestored {
		t.Errorf("journal after rollback: %v", err)
	}
}
