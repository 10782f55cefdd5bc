package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/result"

	"github.com/cradle-cra/cradle/internal/imagebuild"
	"github.com/cradle-cra/cradle/internal/target"
)

// TestImageMatchesRootFS builds container image archives from the scenario
// trees (a docker save tarball and an OCI layout, two layers with a
// whiteout) and requires every rule of every profile to reach the same
// status as on the tree itself — except kernel parameters, kernel modules
// and mounts, which a container image does not control and which must be
// not_applicable with that reason. Layers are uncompressed: compression is
// covered by the target package's tests and costs minutes under -race.
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
		if err := imagebuild.WriteDockerArchive(f, layers, imagebuild.Options{TempDir: tmp}); err != nil {
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
			it, err := target.OpenImage(context.Background(), img, target.ImageOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := it.Stat("etc/cradle-image-marker"); err == nil {
				t.Fatalf("%s: whiteout not applied", img)
			}
			for _, p := range profiles {
				fsRep := scan(t, eng, rootfs, p)
				want := statusLines(fsRep)
				got := scan(t, eng, it, p)
				cov.add(got)
				if g := statusLines(kernelRulesAsRootFS(got, fsRep)); g != want {
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

// imageOnlyNA reports whether r is a rule an image legitimately skips.
func imageOnlyNA(r result.Result) bool {
	return r.Status == result.NotApplicable && strings.Contains(r.Reason, "container images")
}

// kernelRulesAsRootFS replaces image-only not_applicable results with the
// root filesystem's, so the comparison covers everything else exactly.
func kernelRulesAsRootFS(rep, fsRep *result.Report) *result.Report {
	fs := map[string]result.Result{}
	for _, r := range fsRep.Results {
		fs[r.RuleID] = r
	}
	out := *rep
	out.Results = make([]result.Result, len(rep.Results))
	for i, r := range rep.Results {
		if imageOnlyNA(r) {
			r = fs[r.RuleID]
		}
		out.Results[i] = r
	}
	return &out
}
