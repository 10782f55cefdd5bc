//go:build linux

package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/fswatch"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// fimWatchFixture is a tree with a policy and an initialised database.
func fimWatchFixture(t *testing.T, files map[string]string, policy string) (*App, FIMInput) {
	t.Helper()
	root := targettest.Dir(t, files)
	state := t.TempDir()
	cfg := filepath.Join(state, "policy.yaml")
	if err := os.WriteFile(cfg, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	spec, err := target.NewSpec(target.KindRootFS, root)
	if err != nil {
		t.Fatal(err)
	}
	a := &App{UID: os.Getuid(), Getenv: func(k string) string {
		return map[string]string{"CRADLE_HOME": state}[k]
	}, Warn: func(err error) { t.Log(err) }}
	in := FIMInput{Target: spec, Config: cfg, DB: filepath.Join(state, "fim.db"),
		Change: Change{ChangeRef: "CHG-1", Reason: "test"}}
	if _, err := a.FIMInit(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	return a, in
}

// TestFIMWatchEndsWhenWatchingFails: a watcher that stops with an error
// ends fim watch with an error event and an internal error.
func TestFIMWatchEndsWhenWatchingFails(t *testing.T) {
	a, in := fimWatchFixture(t, map[string]string{"etc/hosts": "x\n"}, "paths:\n  - path: /etc\n")
	old := watchFiles
	defer func() { watchFiles = old }()
	watchFiles = func(context.Context, []fswatch.Root, fswatch.Options) (*fswatch.Watcher, error) {
		return fswatch.Failed(fswatch.Inotify, syscall.EBADF), nil
	}
	var events bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- a.FIMWatch(context.Background(), FIMWatchInput{FIMInput: in, Debounce: 50 * time.Millisecond, Events: &events})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, syscall.EBADF) || ClassOf(err) != Internal {
			t.Errorf("FIMWatch: %v (class %d), want the watcher's error as internal", err, ClassOf(err))
		}
		if !strings.Contains(events.String(), `"error"`) {
			t.Errorf("no error event: %q", events.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("fim watch goes on after watching failed")
	}
}
