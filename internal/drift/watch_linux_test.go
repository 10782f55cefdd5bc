//go:build linux

package drift

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWatchRescansOnFileChange(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "sshd_config")
	os.WriteFile(f, []byte("a\n"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	evals := make(chan int, 10)
	n := 0
	done := make(chan error)
	go func() {
		done <- Watch(ctx, WatchOptions{
			Interval: time.Hour, Debounce: time.Millisecond,
			Dirs: []WatchDir{{Dir: dir, Names: []string{"sshd_config"}}},
			Evaluate: func(context.Context) error {
				n++
				evals <- n
				return nil
			},
		})
	}()
	wait := func(want int) { t.Helper(); waitEval(t, evals, want) }
	wait(1)
	os.WriteFile(f, []byte("b\n"), 0o644)
	wait(2)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// waitEval waits for evaluation number want.
func waitEval(t *testing.T, evals <-chan int, want int) {
	t.Helper()
	select {
	case got := <-evals:
		if got != want {
			t.Fatalf("evaluation %d, want %d", got, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no evaluation %d", want)
	}
}

// TestWatchRefreshesDirs: after an evaluation reports new directories (a
// re-approved snapshot reads other files), changes there trigger
// evaluations and the old directory is no longer watched.
func TestWatchRefreshesDirs(t *testing.T) {
	oldDir, newDir := t.TempDir(), t.TempDir()
	oldF, newF := filepath.Join(oldDir, "a.conf"), filepath.Join(newDir, "b.conf")
	os.WriteFile(oldF, []byte("a\n"), 0o644)
	os.WriteFile(newF, []byte("b\n"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	evals := make(chan int, 10)
	refreshed := make(chan struct{}, 1)
	n := 0
	done := make(chan error)
	go func() {
		done <- Watch(ctx, WatchOptions{
			Interval: time.Hour, Debounce: time.Millisecond,
			Dirs: []WatchDir{{Dir: oldDir, Names: []string{"a.conf"}}},
			Evaluate: func(context.Context) error {
				n++
				evals <- n
				return nil
			},
			Refresh: func() []WatchDir {
				if n == 1 {
					defer func() { refreshed <- struct{}{} }() // after Watch switched
					return []WatchDir{{Dir: newDir, Names: []string{"b.conf"}}}
				}
				return nil
			},
		})
	}()
	wait := func(want int) { t.Helper(); waitEval(t, evals, want) }
	wait(1)
	<-refreshed
	// Watch installs the new watches just after Refresh returns: write
	// until the change is seen.
	for got := false; !got; {
		os.WriteFile(newF, []byte("changed\n"), 0o644)
		select {
		case v := <-evals:
			if v < 2 {
				t.Fatalf("evaluation %d, want 2", v)
			}
			got = true
		case <-time.After(100 * time.Millisecond):
		}
	}
	// Let evaluations of repeated writes settle before the negative check.
	for settled := false; !settled; {
		select {
		case <-evals:
		case <-time.After(500 * time.Millisecond):
			settled = true
		}
	}
	os.WriteFile(oldF, []byte("changed\n"), 0o644) // no longer watched
	select {
	case got := <-evals:
		t.Fatalf("unexpected evaluation %d (old directory still watched?)", got)
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
