package attrib

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// TestLoadRPMReal builds a real package with rpmbuild, installs it into
// a tree with rpm --root (a SQLite rpmdb, left with its write-ahead
// log) and verifies the tree's files against it.
func TestLoadRPMReal(t *testing.T) {
	tree := targettest.RPMTree(t)
	tg, err := target.OpenRootFS(tree)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	x, err := LoadPackages(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if x.Manager != "rpm" || x.Packages != 1 || len(x.Files) != 2 || x.Files["/etc/cradle-demo.conf"][0].Conffile != true {
		t.Fatalf("%+v", x)
	}
	if o := x.Owners("/usr/bin/cradle-demo"); len(o) != 1 || o[0].Ref() != "cradle-demo 1.0-1" || o[0].Algo != AlgoSHA256 {
		t.Fatalf("%+v", o)
	}
	os.WriteFile(filepath.Join(tree, "usr/bin/cradle-demo"), []byte("v2\n"), 0o755)
	res, err := Verify(context.Background(), tg, x, VerifyOptions{Conffiles: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range res {
		got[r.Path] = r.Status
	}
	if len(got) != 2 || got["/usr/bin/cradle-demo"] != FileMismatch || got["/etc/cradle-demo.conf"] != FileOK {
		t.Fatalf("%v", got)
	}
}
