package sbom

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// TestRPMFileHashes builds a package with rpmbuild, installs it into a
// tree with rpm --root (SQLite rpmdb) and checks the component's SHA-512
// covers its regular files: not the symlink, not the %ghost file.
func TestRPMFileHashes(t *testing.T) {
	tree := targettest.RPMTree(t)
	os.WriteFile(filepath.Join(tree, "etc", "cradle-demo.state"), []byte("state"), 0o644)
	tg, err := target.OpenRootFS(tree)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	b, err := Build(context.Background(), tg, "rpm", false)
	if err != nil {
		t.Fatal(err)
	}
	line := func(p, content string) string {
		s := sha512.Sum512([]byte(content))
		return hex.EncodeToString(s[:]) + "  " + p + "\n"
	}
	want := sha512.Sum512([]byte(line("/etc/cradle-demo.conf", "conf\n") + line("/usr/bin/cradle-demo", "v1\n")))
	for _, c := range b.Components {
		if c.Name != "cradle-demo" {
			continue
		}
		if c.SHA512 != hex.EncodeToString(want[:]) || len(c.Files) != 2 || c.Executable != "executable" || c.Unavailable[FieldHash] != "" {
			t.Errorf("files %+v, hash %s, executable %q, unavailable %v", c.Files, c.SHA512, c.Executable, c.Unavailable)
		}
		return
	}
	t.Fatalf("no cradle-demo component in %+v", b.Components)
}
