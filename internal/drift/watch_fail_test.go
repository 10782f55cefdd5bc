package drift

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/fswatch"
)

// TestWatchEndsWhenWatchingFails: a file watcher that stops with an error
// ends Watch with it instead of leaving only the interval.
func TestWatchEndsWhenWatchingFails(t *testing.T) {
	old := watchFiles
	defer func() { watchFiles = old }()
	watchFiles = func(context.Context, []fswatch.Root, fswatch.Options) (*fswatch.Watcher, error) {
		return fswatch.Failed(fswatch.Inotify, syscall.EBADF), nil
	}
	evals := 0
	done := make(chan error, 1)
	go func() {
		done <- Watch(context.Background(), WatchOptions{
			Interval: time.Hour,
			Dirs:     []WatchDir{{Dir: t.TempDir(), Any: true}},
			Evaluate: func(context.Context) error { evals++; return nil },
		})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, syscall.EBADF) {
			t.Errorf("Watch: %v, want the watcher's error", err)
		}
		if evals != 1 {
			t.Errorf("%d evaluations, want 1 (the first)", evals)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Watch goes on after watching failed")
	}
}
