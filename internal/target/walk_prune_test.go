package target

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cradle-cra/cradle/internal/imagebuild"
)

// pruneTree has a directory the test prunes (srv/nested), one whose usr
// is a symlink out of the tree (srv/linkusr) and one left alone.
func pruneTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"srv/nested/etc", "srv/nested/usr/bin", "srv/linkusr/etc", "srv/plain/data"} {
		must(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	must(t, os.WriteFile(filepath.Join(root, "srv/nested/etc/os-release"), []byte("ID=debian\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "srv/nested/usr/bin/sudo"), []byte("x"), 0o755))
	must(t, os.Symlink("/usr", filepath.Join(root, "srv/linkusr/usr")))
	must(t, os.WriteFile(filepath.Join(root, "srv/plain/data/f"), []byte("x"), 0o644))
	return root
}

type probeSeen struct {
	etc, usr       fs.FileMode
	hasEtc, hasUsr bool
	binErr         error
	bin            FileInfo
}

func TestWalkPrune(t *testing.T) {
	root := pruneTree(t)
	dir, err := OpenRootFS(root)
	must(t, err)
	defer dir.Close()
	p := writeTo(t, filepath.Join(t.TempDir(), "img.tar"), func(w io.Writer) error {
		return imagebuild.WriteDockerArchive(w, imagebuild.DirLayers(root), imagebuild.Options{Compression: imagebuild.None})
	})
	img, err := OpenImage(context.Background(), p, ImageOptions{})
	must(t, err)
	defer img.Close()
	for _, tg := range []Target{dir, img} {
		t.Run(string(tg.Kind()), func(t *testing.T) {
			var mu sync.Mutex
			seen := map[string]probeSeen{}
			got := collectWalk(t, tg, WalkOptions{Prune: func(d string, pr DirProbe) string {
				s := probeOf(pr)
				mu.Lock()
				seen[d] = s
				mu.Unlock()
				if d == "srv/nested" {
					return "a root of its own"
				}
				return ""
			}})
			if _, ok := seen[""]; ok {
				t.Error("the walk's root was probed")
			}
			for _, p := range []string{"srv/nested", "srv/linkusr/usr", "srv/plain/data/f"} {
				if _, ok := got[p]; !ok {
					t.Errorf("%s not reported", p)
				}
			}
			for _, p := range []string{"srv/nested/etc", "srv/nested/usr/bin/sudo"} {
				if _, ok := got[p]; ok {
					t.Errorf("%s reported below a pruned directory", p)
				}
			}
			checkProbes(t, seen)
		})
	}
	// The portable walk's probe (walk_other.go), on this system's listing.
	t.Run("portable", func(t *testing.T) {
		seen := map[string]probeSeen{}
		for _, d := range []string{"srv/nested", "srv/linkusr", "srv/plain"} {
			ents, err := os.ReadDir(filepath.Join(root, d))
			must(t, err)
			seen[d] = probeOf(&portableProbe{d: dir.(*dirTarget), dir: d, ents: ents})
		}
		checkProbes(t, seen)
	})
}

func probeOf(pr DirProbe) probeSeen {
	var s probeSeen
	s.etc, s.hasEtc = pr.Has("etc")
	s.usr, s.hasUsr = pr.Has("usr")
	s.bin, s.binErr = pr.Lstat("usr/bin")
	return s
}

func checkProbes(t *testing.T, seen map[string]probeSeen) {
	t.Helper()
	n := seen["srv/nested"]
	if !n.hasEtc || !n.hasUsr || n.etc != fs.ModeDir || n.usr != fs.ModeDir || n.binErr != nil || !n.bin.Mode.IsDir() || n.bin.Path != "srv/nested/usr/bin" {
		t.Errorf("probe of srv/nested: %+v", n)
	}
	l := seen["srv/linkusr"]
	if !l.hasUsr || l.usr != fs.ModeSymlink || l.binErr == nil {
		t.Errorf("probe of srv/linkusr followed its usr symlink: %+v", l)
	}
	if pl := seen["srv/plain"]; pl.hasEtc || pl.hasUsr {
		t.Errorf("probe of srv/plain: %+v", pl)
	}
}

// TestWalkPruneLargeDir: a listing of several blocks is reported whole
// when Prune has read its first block ahead, and an empty one is probed.
func TestWalkPruneLargeDir(t *testing.T) {
	root := t.TempDir()
	big := filepath.Join(root, "big")
	must(t, os.MkdirAll(big, 0o755))
	const n = 3000 // ~ 3000 × 40 bytes: more than one 64 KiB block
	for i := range n {
		must(t, os.WriteFile(filepath.Join(big, fmt.Sprintf("file-with-a-longish-name-%05d", i)), nil, 0o644))
	}
	must(t, os.Mkdir(filepath.Join(root, "empty"), 0o755))
	tg, err := OpenRootFS(root)
	must(t, err)
	defer tg.Close()
	var probed sync.Map
	got := collectWalk(t, tg, WalkOptions{Prune: func(d string, p DirProbe) string {
		probed.Store(d, true)
		return ""
	}})
	if len(got) != n+3 { // root, big, empty and the files
		t.Fatalf("walked %d entries, want %d", len(got), n+3)
	}
	for _, d := range []string{"big", "empty"} {
		if _, ok := probed.Load(d); !ok {
			t.Errorf("%s not probed", d)
		}
	}
}
