package fim

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

// TestRecord: named paths and subtrees are recorded as a walk records
// them; absent and unselected paths have no entry; named files are
// hashed even when their metadata matches, files in subtrees reuse it.
func TestRecord(t *testing.T) {
	root := t.TempDir()
	for name, data := range map[string]string{"etc/a": "a", "etc/skip/x": "x", "etc/d/b": "b", "etc/d/c": "c", "home/h": "h"} {
		p := filepath.Join(root, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(data), 0o644)
	}
	p := mustPolicy(t, testPolicy)
	ctx := context.Background()
	spec, _ := target.NewSpec(target.KindRootFS, root)
	tg, err := spec.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	full, err := Walk(ctx, tg, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	prev := (&DB{Entries: full.Entries}).Index()
	snap, err := Record(ctx, tg, p, []string{"/etc/a", "/etc/gone", "/etc/skip/x", "/home/h"}, []string{"/etc/d"}, prev)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range snap.Entries {
		got = append(got, e.Path)
		if w := prev[e.Path]; w == nil || len(diff(w, e, p.For(e.Path))) > 0 {
			t.Errorf("%s: recorded %+v, the walk %+v", e.Path, e, w)
		}
	}
	want := []string{"/etc/a", "/etc/d", "/etc/d/b", "/etc/d/c"}
	if len(got) != len(want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("entries %q, want %q", got, want)
		}
	}
	if snap.Hashed != 1 || snap.Reused != 2 {
		t.Errorf("hashed %d reused %d, want 1 (the named file) and 2 (the subtree's)", snap.Hashed, snap.Reused)
	}
}
