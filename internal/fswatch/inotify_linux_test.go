//go:build linux

package fswatch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitFor waits for a batch naming p (or a rescan covering it) and
// returns how long it took.
func waitFor(t *testing.T, w *Watcher, p string) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case b := <-w.C:
			if slices.Contains(b.Paths, p) || slices.ContainsFunc(b.Rescan, func(d string) bool { return Within(p, d) }) {
				return time.Since(start)
			}
		case <-deadline:
			t.Fatalf("%s: no change of %s within 10s", w.Backend, p)
		}
	}
}

func TestWatchTreeBackends(t *testing.T) {
	for _, backend := range []string{Inotify, Fanotify} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w, err := Watch(ctx, []Root{{Dir: dir, Recursive: true}}, Options{Backend: backend, Debounce: 50 * time.Millisecond})
			if err != nil {
				if backend == Fanotify {
					t.Skipf("fanotify unavailable: %v", err)
				}
				t.Fatal(err)
			}
			f := filepath.Join(dir, "f")
			sub := filepath.Join(dir, "sub")
			steps := []struct {
				what string
				do   func() error
				path string
			}{
				{"create", func() error { return os.WriteFile(f, []byte("a"), 0o644) }, f},
				{"modify", func() error { return os.WriteFile(f, []byte("bb"), 0o644) }, f},
				{"chmod", func() error { return os.Chmod(f, 0o600) }, f},
				{"rename", func() error { return os.Rename(f, f+"2") }, f + "2"},
				{"delete", func() error { return os.Remove(f + "2") }, f + "2"},
				{"mkdir", func() error { return os.Mkdir(sub, 0o755) }, sub},
				{"file in new dir", func() error { return os.WriteFile(filepath.Join(sub, "g"), nil, 0o644) }, filepath.Join(sub, "g")},
			}
			for _, s := range steps {
				if err := s.do(); err != nil {
					t.Fatal(err)
				}
				t.Logf("%s %s: reported after %v", w.Backend, s.what, waitFor(t, w, s.path))
			}
			cancel()
			for range w.C { // closed once stopped
			}
		})
	}
}

// TestInotifyOverflowRescans: a queue overflow asks for every root to be
// read again and watches directories created while events were lost.
func TestInotifyOverflowRescans(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	w := &inotifyWatch{fd: fd, o: Options{MaxWatches: 100, Warn: func(err error) { t.Log(err) }},
		roots: []Root{{Dir: dir, Recursive: true}, {Dir: other, Names: []string{"x"}}},
		wds:   map[int32]watched{}, byPath: map[string]int32{}}
	w.addTree(dir, &w.roots[0])
	w.add(other, &w.roots[1])
	lost := filepath.Join(dir, "lost", "deeper")
	if err := os.MkdirAll(lost, 0o755); err != nil {
		t.Fatal(err)
	}
	got := w.event(-1, unix.IN_Q_OVERFLOW, "")
	want := []change{{path: dir, rescan: true}, {path: other, rescan: true}}
	if !slices.Equal(got, want) {
		t.Errorf("overflow: %+v, want %+v", got, want)
	}
	if _, ok := w.byPath[lost]; !ok {
		t.Errorf("directory created during the overflow is not watched: %v", w.byPath)
	}
}

// TestInotifyEventFilter: names outside a non-recursive root's Names are
// ignored; directory events in a recursive root become rescans.
func TestInotifyEventFilter(t *testing.T) {
	etc, tree := t.TempDir(), t.TempDir()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	w := &inotifyWatch{fd: fd, o: Options{MaxWatches: 100, Warn: func(error) {}},
		roots: []Root{{Dir: etc, Names: []string{"passwd"}}, {Dir: tree, Recursive: true}},
		wds:   map[int32]watched{}, byPath: map[string]int32{}}
	w.add(etc, &w.roots[0])
	w.addTree(tree, &w.roots[1])
	etcWD, treeWD := w.byPath[etc], w.byPath[tree]
	tests := []struct {
		name string
		wd   int32
		mask uint32
		file string
		want []change
	}{
		{"watched name", etcWD, unix.IN_CLOSE_WRITE, "passwd", []change{{path: filepath.Join(etc, "passwd")}}},
		{"other name", etcWD, unix.IN_CLOSE_WRITE, "hosts", nil},
		{"dir itself deleted", etcWD, unix.IN_DELETE_SELF, "", []change{{path: etc, rescan: true}}},
		{"file in tree", treeWD, unix.IN_ATTRIB, "a", []change{{path: filepath.Join(tree, "a")}}},
		{"dir removed in tree", treeWD, unix.IN_DELETE | unix.IN_ISDIR, "d", []change{{path: filepath.Join(tree, "d"), rescan: true}}},
		{"unknown wd", 9999, unix.IN_MODIFY, "x", nil},
	}
	for _, tc := range tests {
		if got := w.event(tc.wd, tc.mask, tc.file); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestDebounceBoundsDelay: a steady stream of changes still yields a
// batch within MaxDelay.
func TestDebounceBoundsDelay(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	raw := &feed{c: make(chan []change)}
	out := make(chan Batch)
	go debounce(ctx, nil, Options{Debounce: 200 * time.Millisecond, MaxDelay: 400 * time.Millisecond}, raw, out)
	start := time.Now()
	stop := time.After(3 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			select {
			case raw.c <- []change{{path: "/x"}}:
			case b := <-out:
				t.Logf("batch after %v: %+v", time.Since(start), b)
				return
			}
		case b := <-out:
			t.Logf("batch after %v: %+v", time.Since(start), b)
			return
		case <-stop:
			t.Fatal("no batch under a steady stream of changes")
		}
	}
}
