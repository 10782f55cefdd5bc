package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/fim"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// TestFIMTrackerRescan: a rescan (what a lost event queue leads to) finds
// every difference in the subtree without an event per path; what was
// announced is not announced again, and is resolved once undone.
func TestFIMTrackerRescan(t *testing.T) {
	root := targettest.Dir(t, map[string]string{
		"etc/a.conf":     "a\n",
		"etc/sub/b.conf": "b\n",
		"etc/sub/c.conf": "c\n",
		"etc-other/x":    "x\n",
	})
	p, err := fim.Parse("test", []byte("paths:\n  - path: /etc\n  - path: /etc-other\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	spec, _ := target.NewSpec(target.KindRootFS, root)
	tg, err := spec.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	snap, err := fim.Walk(ctx, tg, p, fim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	k := newFIMTracker(p, &fim.DB{Entries: snap.Entries})
	// Lost events: b removed, c rewritten, d added, and outside the
	// subtree x changed (not looked at, so not reported).
	os.Remove(filepath.Join(root, "etc/sub/b.conf"))
	os.WriteFile(filepath.Join(root, "etc/sub/c.conf"), []byte("changed\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/sub/d.conf"), []byte("d\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc-other/x"), []byte("changed\n"), 0o644)
	got, _, err := k.batch(ctx, tg, nil, []string{"/etc/sub"})
	if err != nil {
		t.Fatal(err)
	}
	// /etc itself is recorded too (the parent of the subtree) but its
	// listing did not change.
	want := map[string]string{"/etc/sub": "changed", "/etc/sub/b.conf": "removed",
		"/etc/sub/c.conf": "changed", "/etc/sub/d.conf": "added"}
	check := func(what string, got []fimChange, want map[string]string) {
		t.Helper()
		seen := map[string]string{}
		for _, c := range got {
			kind := c.Kind
			if c.Resolved {
				kind = "resolved"
			}
			seen[c.Path] = kind
		}
		for p, k := range want {
			if seen[p] != k {
				t.Errorf("%s: %s %q, want %q (all: %v)", what, p, seen[p], k, seen)
			}
		}
		if len(seen) != len(want) {
			t.Errorf("%s: %v, want %v", what, seen, want)
		}
	}
	check("rescan", got, want)
	// The same state seen again is not news.
	got, _, _ = k.batch(ctx, tg, []string{"/etc/sub/c.conf"}, []string{"/etc/sub"})
	check("again", got, map[string]string{})
	// Undone: the added file removed again (the directory's times
	// changed once more: announced again).
	time.Sleep(20 * time.Millisecond) // past the clock's granularity: /etc/sub's times do change
	os.Remove(filepath.Join(root, "etc/sub/d.conf"))
	got, _, _ = k.batch(ctx, tg, []string{"/etc/sub/d.conf"}, nil)
	check("undone", got, map[string]string{"/etc/sub/d.conf": "resolved", "/etc/sub": "changed"})
}

func TestTargetPath(t *testing.T) {
	root := filepath.FromSlash("/srv/root")
	for hp, want := range map[string]string{"/srv/root": "/", "/srv/root/etc/x": "/etc/x", "/srv/rootx": "", "/srv": ""} {
		got, ok := targetPath(root, filepath.FromSlash(hp))
		if got != want || ok != (want != "") {
			t.Errorf("targetPath(%q) = %q %v, want %q", hp, got, ok, want)
		}
	}
}

// TestFIMTrackerUnreadableNotResolved: an announced change whose file
// cannot be read now (its digest unknown) is not "back to its state".
func TestFIMTrackerUnreadableNotResolved(t *testing.T) {
	k := &fimTracker{shown: map[string]string{
		"/etc/a": `{"path":"/etc/a","kind":"changed","type":"file"}`,
		"/etc/b": `{"path":"/etc/b","kind":"changed","type":"file"}`,
	}}
	affected := map[string]bool{"/etc/a": true, "/etc/b": true}
	got := k.resolved(affected, map[string]bool{}, map[string]bool{"/etc/b": true})
	if len(got) != 1 || got[0].Path != "/etc/a" || !got[0].Resolved {
		t.Fatalf("resolved %+v, want only /etc/a", got)
	}
	if _, ok := k.shown["/etc/b"]; !ok {
		t.Fatal("the unreadable path's announcement was dropped")
	}
}
