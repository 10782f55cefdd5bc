//go:build linux

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lineChan is a writer that hands each complete line to C.
type lineChan struct {
	mu  sync.Mutex
	buf bytes.Buffer
	C   chan string
}

func (l *lineChan) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadString('\n')
		if err != nil {
			l.buf.WriteString(line) // incomplete: keep for the next write
			return len(p), nil
		}
		l.C <- strings.TrimSuffix(line, "\n")
	}
}

type watchEvent struct {
	Kind, Event, Error string
	Change             struct {
		Path, Kind string
		Diffs      []struct{ Attribute, Old, New string }
	}
}

// TestFimWatch: against a real tree, each kind of change is reported as
// one event; the latency from the change to its event is logged (the
// wait allows 10 s so a loaded machine does not fail it).
func TestFimWatch(t *testing.T) {
	for _, backend := range []string{"inotify", "fanotify"} {
		t.Run(backend, func(t *testing.T) { testFimWatch(t, backend) })
	}
}

func testFimWatch(t *testing.T, backend string) {
	root, db, mustRun := fimFixture(t)
	home := filepath.Dir(filepath.Dir(db))
	mustRun(0, "fim", "init", "--root", root, "--db", db, "--change-ref", "CHG-1", "--reason", "first", "-q")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errs := &lineChan{C: make(chan string, 100)}, &lineChan{C: make(chan string, 100)}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"fim", "watch", "--root", root, "--db", db, "--backend", backend, "--debounce", "100ms"},
			Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: errs, Getenv: func(k string) string {
				return map[string]string{"CRADLE_HOME": home}[k]
			}})
	}()
	for ready := false; !ready; {
		select {
		case l := <-errs.C:
			ready = strings.Contains(l, "watching")
			t.Log(l)
		case code := <-done:
			if backend == "fanotify" {
				t.Skipf("fanotify unavailable here (exit %d)", code)
			}
			t.Fatalf("fim watch ended with %d before watching", code)
		case <-time.After(10 * time.Second):
			t.Fatal("fim watch did not start")
		}
	}
	p := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
	steps := []struct {
		what       string
		do         func() error
		path, kind string
		attr       string // a difference the event must show
	}{
		{"create", func() error { return os.WriteFile(p("etc/new.conf"), []byte("x"), 0o644) }, "/etc/new.conf", "added", ""},
		{"modify", func() error { return os.WriteFile(p("etc/hosts"), []byte("10.6.6.6 evil\n"), 0o644) }, "/etc/hosts", "changed", "sha256"},
		{"chmod", func() error { return os.Chmod(p("etc/passwd"), 0o666) }, "/etc/passwd", "changed", "mode"},
		{"rename", func() error { return os.Rename(p("usr/bin/ls"), p("usr/bin/ls.bak")) }, "/usr/bin/ls", "removed", ""},
		{"delete", func() error { return os.Remove(p("usr/bin/sh")) }, "/usr/bin/sh", "removed", ""},
		{"delete added", func() error { return os.Remove(p("etc/new.conf")) }, "/etc/new.conf", "resolved", ""},
		{"mkdir", func() error { return os.Mkdir(p("etc/sub"), 0o755) }, "/etc/sub", "added", ""},
		{"file in new dir", func() error { return os.WriteFile(p("etc/sub/f"), []byte("y"), 0o644) }, "/etc/sub/f", "added", ""},
	}
	for _, s := range steps {
		start := time.Now()
		if err := s.do(); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, out, s.what, s.path, s.kind, s.attr)
		t.Logf("%s %s: reported after %v", backend, s.what, time.Since(start).Round(time.Millisecond))
	}
	// A database edited behind its back ends the watch: exit 2.
	b, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	os.WriteFile(db, b, 0o600)
	select {
	case code := <-done:
		if code != ExitUsage {
			t.Errorf("tampered database: exit %d, want %d", code, ExitUsage)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("fim watch goes on with a tampered database")
	}
}

func waitEvent(t *testing.T, out *lineChan, what, path, kind, attr string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l := <-out.C:
			var e watchEvent
			if err := json.Unmarshal([]byte(l), &e); err != nil || e.Kind != "watch_event" {
				t.Fatalf("not a watch_event line: %q", l)
			}
			if e.Change.Path != path {
				continue
			}
			if kind == "resolved" && e.Event == "resolved" || e.Event == "integrity" && e.Change.Kind == kind && hasAttr(e, attr) {
				return
			}
		case <-deadline:
			t.Fatalf("%s: no %s event for %s within 10s", what, kind, path)
		}
	}
}

func hasAttr(e watchEvent, attr string) bool {
	if attr == "" {
		return true
	}
	for _, d := range e.Change.Diffs {
		if d.Attribute == attr {
			return true
		}
	}
	return false
}
