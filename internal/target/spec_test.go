package target

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyStable pins keys of state written by earlier versions: change
// logs, runs and snapshots on disk are found by these names.
func TestKeyStable(t *testing.T) {
	for _, tc := range []struct{ id, key string }{
		{"host", "host-4740ae6347b0172c"},
		{"root:/srv/rootfs", "root-srv-rootfs-14c9a17e872d174c"},
		{"image:/tmp/app.tar", "image-tmp-app-tar-c3627bed2d3cb37e"},
		{"root:/", "root-8f69aad83a82844c"},
		{"root:/a/b", "root-a-b-2f42545ea0111948"},
		{"root:/Very/LONG/path/with spaces/and-ÜNICODE/and/more/than/forty/eight/characters/total",
			"root-very-long-path-with-spaces-and-nicode-and-m-8c82b5d3e5e5e7df"},
	} {
		if got := KeyOf(tc.id); got != tc.key {
			t.Errorf("KeyOf(%q) = %q, want %q", tc.id, got, tc.key)
		}
		s, err := ParseSpec(tc.id)
		if err != nil {
			t.Fatalf("ParseSpec(%q): %v", tc.id, err)
		}
		if s.ID() != tc.id || s.Key() != tc.key {
			t.Errorf("ParseSpec(%q) = %+v: ID %q, Key %q", tc.id, s, s.ID(), s.Key())
		}
	}
	if KeyOf("root:/a/b") == KeyOf("root:/a-b") {
		t.Error("slug collision not disambiguated by the hash")
	}
}

func TestKeyOf(t *testing.T) {
	tests := []struct{ id, prefix string }{
		{"host", "host-"},
		{"root:/srv/rootfs", "root-srv-rootfs-"},
		{"image:/tmp/app image.tar", "image-tmp-app-image-tar-"},
		{"::", "target-"},
		{"root:/" + strings.Repeat("x", 300), "root-" + strings.Repeat("x", 43) + "-"},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		k := KeyOf(tc.id)
		if !strings.HasPrefix(k, tc.prefix) || len(k) != len(tc.prefix)+16 || seen[k] {
			t.Errorf("KeyOf(%q) = %q, want prefix %q + 16 hex", tc.id, k, tc.prefix)
		}
		seen[k] = true
		if k != KeyOf(tc.id) {
			t.Errorf("KeyOf(%q) not stable", tc.id)
		}
	}
	if KeyOf("root:/a/b") == KeyOf("root:/a-b") {
		t.Error("slug collision not disambiguated by the hash")
	}
}

func TestNewSpec(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Skip("symlinks unsupported")
	}
	a, err := NewSpec(KindRootFS, dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSpec(KindRootFS, link+"/")
	if err != nil || a != b {
		t.Fatalf("symlinked spelling differs: %+v vs %+v (%v)", a, b, err)
	}
	if a.ID() != "root:"+filepath.ToSlash(a.Path) {
		t.Fatalf("rootfs identity %q", a.ID())
	}
	if d, ok := a.Dir(); !ok || filepath.ToSlash(d) != a.Path {
		t.Fatalf("Dir = %q, %v", d, ok)
	}
	if h, _ := NewSpec(KindHost, "ignored"); h.ID() != "host" || h != Host() {
		t.Fatalf("host identity %q", h.ID())
	}
	abs, _ := filepath.Abs("/nonexistent/app.tar")
	i, err := NewSpec(KindImage, "/nonexistent/app.tar")
	if err != nil || i.ID() != "image:"+filepath.ToSlash(abs) {
		t.Fatalf("image identity %q (%v)", i.ID(), err)
	}
	if f, ok := i.File(); !ok || f != abs {
		t.Fatalf("File = %q, %v", f, ok)
	}
	if _, ok := i.Dir(); ok {
		t.Fatal("an image has no directory")
	}
	for _, k := range []Kind{KindRootFS, KindImage} {
		if _, err := NewSpec(k, ""); err == nil {
			t.Errorf("%s: empty path accepted", k)
		}
	}
	if _, err := NewSpec("registry-hive", "x"); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestParseSpecRejects(t *testing.T) {
	for _, id := range []string{"", "root:", "root:relative", "image:", "host:/x", "nope:/x", "root"} {
		if s, err := ParseSpec(id); err == nil {
			t.Errorf("ParseSpec(%q) = %+v", id, s)
		}
	}
}

func TestSpecOpen(t *testing.T) {
	dir := t.TempDir()
	s, err := NewSpec(KindRootFS, dir)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := s.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	if tg.Kind() != KindRootFS || tg.Name() != filepath.FromSlash(s.Path) {
		t.Fatalf("kind %s, name %q: not the spec's %s", tg.Kind(), tg.Name(), s)
	}
	if _, err := (Spec{Kind: KindImage}).Open(context.Background()); err == nil {
		t.Fatal("image without a path opened")
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"host", "root:/srv", "image:/a.tar", "root:C:/x", ":", "root::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		s, err := ParseSpec(id)
		if err != nil {
			return
		}
		if s.ID() != id {
			t.Fatalf("ParseSpec(%q).ID() = %q", id, s.ID())
		}
	})
}
