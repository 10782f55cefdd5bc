package fim

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/imagebuild"
	"github.com/cradle-cra/cradle/internal/target"
)

// An image is walked and hashed through the target (no root directory,
// no ctime): a file changed by a later layer is reported.
func TestWalkImage(t *testing.T) {
	p := mustPolicy(t, testPolicy)
	walk := func(layers []imagebuild.Layer) *Snapshot {
		t.Helper()
		path := filepath.Join(t.TempDir(), "img.tar")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := imagebuild.WriteDockerArchive(f, layers, imagebuild.Options{}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		tg, err := target.OpenImage(t.Context(), path, target.ImageOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer tg.Close()
		s, err := Walk(t.Context(), tg, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := imagebuild.Layer{Entries: []imagebuild.Entry{
		imagebuild.File("etc/hosts", "127.0.0.1 localhost\n", 0o644, 0, 0),
		imagebuild.File("usr/bin/ls", "ELF ls", 0o755, 0, 0),
	}}
	before := walk([]imagebuild.Layer{base})
	if e := (&DB{Entries: before.Entries}).Index()["/usr/bin/ls"]; e == nil || e.SHA256 != hexSum([]byte("ELF ls")) || e.Ctime != 0 {
		t.Fatalf("ls in the image: %+v", e)
	}
	after := walk([]imagebuild.Layer{base, {Entries: []imagebuild.Entry{imagebuild.File("usr/bin/ls", "ELF evil", 0o755, 0, 0)}}})
	if got := describe(Compare(before.Entries, after.Entries, p)); got != "changed /usr/bin/ls size,sha256,sha512,blake3" {
		t.Errorf("got %s", got)
	}
}
