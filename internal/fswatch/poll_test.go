package fswatch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestPoll runs the portable backend (the only one outside Linux):
// create, modify, chmod, rename, delete, a new directory and a file in
// it are each reported; a pruned directory and names not asked for are
// not.
func TestPoll(t *testing.T) {
	dir, named := t.TempDir(), t.TempDir()
	pruned := filepath.Join(dir, "pruned")
	if err := os.Mkdir(pruned, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := Watch(ctx, []Root{{Dir: dir, Recursive: true}, {Dir: named, Names: []string{"db"}}, {Dir: filepath.Join(dir, "absent"), Recursive: true}},
		Options{Backend: Poll, Debounce: 20 * time.Millisecond, Prune: func(d string) bool { return d == pruned }})
	if err != nil {
		t.Fatal(err)
	}
	if w.Backend != Poll {
		t.Fatalf("backend %s", w.Backend)
	}
	f, sub := filepath.Join(dir, "f"), filepath.Join(dir, "sub")
	var seen []string
	wait := func(p string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for !slices.Contains(seen, p) {
			select {
			case b := <-w.C:
				seen = append(seen, b.Paths...)
			case <-deadline:
				t.Fatalf("no change of %s within 10s (seen %v)", p, seen)
			}
		}
	}
	for _, s := range []struct {
		do   func() error
		path string
	}{
		{func() error { return os.WriteFile(f, []byte("a"), 0o644) }, f},
		{func() error { return os.WriteFile(f, []byte("bb"), 0o644) }, f},
		{func() error { return os.Chmod(f, 0o600) }, f},
		{func() error { return os.Rename(f, f+"2") }, f + "2"},
		{func() error { return os.Remove(f + "2") }, f + "2"},
		{func() error { return os.Mkdir(sub, 0o755) }, sub},
		{func() error { return os.WriteFile(filepath.Join(sub, "g"), nil, 0o644) }, filepath.Join(sub, "g")},
		{func() error {
			_ = os.WriteFile(filepath.Join(pruned, "x"), nil, 0o644)
			_ = os.WriteFile(filepath.Join(named, "other"), nil, 0o644)
			return os.WriteFile(filepath.Join(named, "db"), []byte("v2"), 0o600)
		}, filepath.Join(named, "db")},
	} {
		seen = nil
		if err := s.do(); err != nil {
			t.Fatal(err)
		}
		wait(s.path)
	}
	for _, p := range []string{filepath.Join(pruned, "x"), filepath.Join(named, "other")} {
		if slices.Contains(seen, p) {
			t.Errorf("%s reported: not watched", p)
		}
	}
	cancel()
	for range w.C { // closed once stopped
	}
	if _, err := Watch(context.Background(), []Root{{Dir: filepath.Join(dir, "absent")}}, Options{Backend: Poll}); err != ErrNoRoots {
		t.Errorf("no root: %v", err)
	}
}

func TestPollDiff(t *testing.T) {
	a := map[string]pstat{"same": {size: 1}, "changed": {size: 1}, "gone": {}}
	b := map[string]pstat{"same": {size: 1}, "changed": {size: 1, ctime: 2}, "new": {}}
	var got []string
	for _, c := range pollDiff(a, b) {
		got = append(got, c.path)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"changed", "gone", "new"}) {
		t.Errorf("%v", got)
	}
}
