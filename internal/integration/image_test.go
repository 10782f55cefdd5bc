package integration

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/imagebuild"
	"github.com/cradle-cra/cradle/internal/target"
)

// TestImageMatchesRootFS builds container image archives from the scenario
// trees (a docker save tarball and an OCI layout, two layers with a
// whiteout) and requires every rule of every profile to reach the same
// status as on the tree itself.
func TestImageMatchesRootFS(t *testing.T) {
	dirs := scenarios(t)
	eng := loadEngine(t)
	tmp := t.TempDir()
	for _, name := range []string{"harden", "break"} {
		// The upper layer adds and then whiteouts a file, so layer
		// application is exercised on the real tree.
		layers := []imagebuild.Layer{
			{Dir: dirs[name]},
			{Entries: []imagebuild.Entry{imagebuild.Whiteout("etc/cradle-image-marker")}},
		}
		layers[0].Entries = append(layers[0].Entries, imagebuild.File("etc/cradle-image-marker", "x", 0o644, 0, 0))
		archive := filepath.Join(tmp, name+".tar")
		f, err := os.Create(archive)
		if err != nil {
			t.Fatal(err)
		}
		if err := imagebuild.WriteDockerArchive(f, layers, imagebuild.Options{Compression: imagebuild.Gzip, TempDir: tmp}); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		oci := filepath.Join(tmp, name+"-oci")
		if err := imagebuild.WriteOCILayout(oci, layers, imagebuild.Options{TempDir: tmp}); err != nil {
			t.Fatal(err)
		}
		rootfs, err := target.OpenRootFS(dirs[name])
		if err != nil {
			t.Fatal(err)
		}
		for _, img := range []string{archive, oci} {
			it, err := target.OpenImage(img)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := it.Stat("etc/cradle-image-marker"); err == nil {
				t.Fatalf("%s: whiteout not applied", img)
			}
			for _, p := range profiles {
				want := statusLines(scan(t, eng, rootfs, p))
				got := scan(t, eng, it, p)
				cov.add(got)
				if g := statusLines(got); g != want {
					t.Errorf("%s %s/%s: image statuses differ from the root filesystem:\n%s", filepath.Base(img), name, p, diffLines(want, g))
				}
			}
			it.Close()
		}
		rootfs.Close()
		os.Remove(archive)
		os.RemoveAll(oci)
	}
}
