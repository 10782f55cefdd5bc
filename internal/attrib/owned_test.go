package attrib

import (
	"context"
	"crypto/md5" //nolint:gosec // dpkg's digest
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func md5hex(s string) string {
	h := md5.Sum([]byte(s)) //nolint:gosec // see import
	return hex.EncodeToString(h[:])
}

// TestReplacedFileNotTrusted: "new" took /usr/bin/tool over from "old"
// (Replaces:); dpkg removed the path from old.list but left old's
// md5sums line with the old content's digest. Only the owner's digest
// is trusted, so nothing mismatches. /usr-merge: "merged" lists /bin/m
// while its md5sums says usr/bin/m (and the other way round).
func TestReplacedFileNotTrusted(t *testing.T) {
	const st = "Status: install ok installed\nVersion: 1\nArchitecture: amd64\n"
	info := "var/lib/dpkg/info/"
	dir := targettest.Dir(t, map[string]string{
		"var/lib/dpkg/status": "Package: old\n" + st + "\nPackage: new\n" + st + "\nPackage: merged\n" + st +
			"\nPackage: nolist\n" + st,
		info + "old:amd64.md5sums": md5hex("tool 1.0") + "  usr/bin/tool\n" + md5hex("doc") + "  usr/share/doc/old/README\n",
		info + "old:amd64.list":    "/.\n/usr\n/usr/share\n/usr/share/doc/old\n/usr/share/doc/old/README\n",
		info + "new:amd64.md5sums": md5hex("tool 2.0") + "  usr/bin/tool\n",
		info + "new:amd64.list":    "/.\n/usr\n/usr/bin\n/usr/bin/tool\n",
		info + "merged.md5sums":    md5hex("m") + "  usr/bin/m\n" + md5hex("n") + "  sbin/n\n",
		info + "merged.list":       "/.\n/bin\n/bin/m\n/usr/sbin/n\n",
		info + "nolist.md5sums":    md5hex("k") + "  usr/bin/k\n",
		"usr/bin/tool":             "tool 2.0",
		"usr/share/doc/old/README": "doc",
		"usr/bin/m":                "m",
		"usr/sbin/n":               "n",
		"usr/bin/k":                "k",
	})
	if err := os.Symlink("usr/sbin", filepath.Join(dir, "sbin")); err != nil {
		t.Fatal(err)
	}
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	x, err := LoadDpkg(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if o := x.Owners("/usr/bin/tool"); len(o) != 1 || o[0].Package != "new" {
		t.Errorf("owners of /usr/bin/tool: %+v", o)
	}
	res, err := Verify(context.Background(), tg, x, VerifyOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range res {
		got[r.Path+" "+r.Owner.Package] = r.Status
	}
	want := map[string]string{"/usr/bin/tool new": FileOK, "/usr/share/doc/old/README old": FileOK,
		"/usr/bin/m merged": FileOK, "/sbin/n merged": FileOK, "/usr/bin/k nolist": FileOK}
	if len(got) != len(want) {
		t.Errorf("results %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}
