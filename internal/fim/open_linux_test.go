package fim

import (
	"io"
	"os"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

// The hashing open follows no symlink: a path whose directory became a
// symlink after the walk (even one staying inside the root) is refused,
// where the target's resolver would follow it.
func TestOpenerFollowsNoSymlink(t *testing.T) {
	tr := newTree(t)
	tr.symlink("usr/bin", "bin")
	tr.symlink("/etc/passwd", "etc/abs")
	tg, err := target.OpenRootFS(tr.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	op, err := newOpener(tg)
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	h, err := op.open("usr/bin/ls")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(h)
	h.Close()
	if string(b) != "ELF ls" {
		t.Errorf("read %q", b)
	}
	for _, rel := range []string{"bin/ls", "etc/abs", "usr/bin/dir", "../" + "x"} {
		if h, err := op.open(rel); err == nil {
			h.Close()
			t.Errorf("%s opened through a symlink or outside the root", rel)
		}
	}
	if _, err := os.Stat(tr.path("bin/ls")); err != nil {
		t.Fatal("the symlink itself works:", err)
	}
}
