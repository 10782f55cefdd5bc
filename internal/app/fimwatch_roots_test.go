//go:build linux

package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/fim"
	"github.com/cradle-cra/cradle/internal/fswatch"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// TestFIMWatchRootsConfined: a selected directory that is a symlink is
// watched where it leads inside the target; an absolute or climbing link
// is resolved against the target root, never the host.
func TestFIMWatchRootsConfined(t *testing.T) {
	root := targettest.Dir(t, map[string]string{
		"real/hosts": "x\n",
		"etc":        "->real",
		"conf":       "->/etc",
		"up":         "->../../../../real",
		"lnk":        "->/etc/hosts",
	})
	spec, _ := target.NewSpec(target.KindRootFS, root)
	tg, err := spec.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	real := filepath.Join(root, "real")
	tests := []struct {
		sel   string
		want  fswatch.Root
		alias string // what a change of real/hosts is reported as
	}{
		{"/etc", fswatch.Root{Dir: real, Recursive: true}, "/etc/hosts"},
		{"/conf", fswatch.Root{Dir: real, Recursive: true}, "/conf/hosts"},
		{"/up", fswatch.Root{Dir: real, Recursive: true}, "/up/hosts"},
		{"/lnk", fswatch.Root{Dir: root, Names: []string{"lnk"}}, "/real/hosts"}, // a file symlink is watched itself
	}
	for _, tc := range tests {
		p, err := fim.Parse("test", []byte("paths:\n  - path: "+tc.sel+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		roots, aliases := fimWatchRoots(tg, root, p, func(err error) { t.Errorf("%s: %v", tc.sel, err) })
		// A linked directory: the link itself is watched too (retargeting
		// it is a change), through its parent.
		want := []fswatch.Root{tc.want}
		if tc.want.Recursive {
			want = []fswatch.Root{{Dir: root, Names: []string{tc.sel[1:]}}, tc.want}
		}
		if len(roots) != len(want) {
			t.Errorf("%s: roots %+v, want %+v", tc.sel, roots, want)
			continue
		}
		for i, r := range roots {
			if r.Dir != want[i].Dir || r.Recursive != want[i].Recursive || strings.Join(r.Names, ",") != strings.Join(want[i].Names, ",") {
				t.Errorf("%s: roots %+v, want %+v", tc.sel, roots, want)
			}
		}
		for _, r := range roots {
			if !fswatch.Within(r.Dir, root) {
				t.Errorf("%s: watches %s outside the target", tc.sel, r.Dir)
			}
		}
		if got := fimTargetPaths(root, aliases, []string{filepath.Join(real, "hosts")}); len(got) != 1 || got[0] != tc.alias {
			t.Errorf("%s: real/hosts reported as %v, want %s", tc.sel, got, tc.alias)
		}
	}
}

// syncBuf is an events writer read while the watch writes.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestFIMWatchThroughSymlinkedDir: with /etc a symlink to /real in the
// target, a change in /real is reported as the /etc entry it is.
func TestFIMWatchThroughSymlinkedDir(t *testing.T) {
	for _, b := range []string{fswatch.Inotify, fswatch.Poll} { // poll: what runs outside Linux
		t.Run(b, func(t *testing.T) { fimWatchThroughSymlinkedDir(t, b) })
	}
}

func fimWatchThroughSymlinkedDir(t *testing.T, backend string) {
	a, in := fimWatchFixture(t, map[string]string{"real/hosts": "x\n", "etc": "->/real"}, "paths:\n  - path: /etc\n")
	root, _ := in.Target.Dir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := &syncBuf{}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- a.FIMWatch(ctx, FIMWatchInput{FIMInput: in, Debounce: 20 * time.Millisecond, Backend: backend,
			Events: events, Ready: func(string, int) { close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("fim watch ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("fim watch did not start")
	}
	if err := os.WriteFile(filepath.Join(root, "real", "hosts"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for !strings.Contains(events.String(), `"/etc/hosts"`) {
		select {
		case err := <-done:
			t.Fatalf("fim watch ended: %v", err)
		case <-deadline:
			t.Fatalf("no event for /etc/hosts: %s", events.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The database recorded /etc/hosts through the link too: a change,
	// read where the link leads.
	for _, line := range strings.Split(events.String(), "\n") {
		if strings.Contains(line, `"/etc/hosts"`) && (!strings.Contains(line, `"changed"`) || strings.Contains(line, "symbolic links")) {
			t.Errorf("event %s", line)
		}
	}
}
