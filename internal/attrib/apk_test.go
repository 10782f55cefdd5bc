package attrib

import (
	"context"
	"crypto/sha1" //nolint:gosec // apk's Q1 checksum
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/fim"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func q1(s string) string {
	h := sha1.Sum([]byte(s))
	return "Q1" + base64.StdEncoding.EncodeToString(h[:])
} //nolint:gosec // see import
func q2(s string) string {
	h := sha256.Sum256([]byte(s))
	return "Q2" + base64.StdEncoding.EncodeToString(h[:])
}

// TestApk: a hand-made Alpine installed database. Files verify against
// their Z: checksums (a symlink by its link text), /etc is configuration,
// and a changed file whose content is what the package ships is
// explained by the package.
func TestApk(t *testing.T) {
	db := "C:Q1x=\nP:busybox\nV:1.36.1-r5\nA:x86_64\nF:bin\nR:busybox\na:0:0:755\nZ:" + q1("busybox 1.36") +
		"\nR:sh\na:0:0:777\nZ:" + q1("/bin/busybox") + "\nR:tampered\nZ:" + q1("original") +
		"\nR:gone\nZ:" + q1("x") + "\nF:etc\nR:motd\nZ:" + q1("welcome") + "\nF:usr/lib\nR:lib.so\nZ:" + q2("lib") +
		"\n\nP:nosums\nV:1\nF:usr/share\nR:doc\n\nP:meta\nV:1\n"
	dir := targettest.Dir(t, map[string]string{
		"lib/apk/db/installed": db,
		"bin/busybox":          "busybox 1.36",
		"bin/tampered":         "evil",
		"etc/motd":             "edited",
		"usr/lib/lib.so":       "lib",
		"usr/share/doc":        "d",
	})
	if err := os.Symlink("/bin/busybox", filepath.Join(dir, "bin/sh")); err != nil {
		t.Fatal(err)
	}
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	x, err := LoadPackages(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if x.Manager != "apk" || x.Packages != 3 || len(x.Unknown) != 1 || x.Unknown[0] != "nosums" {
		t.Fatalf("index %s %d %v", x.Manager, x.Packages, x.Unknown)
	}
	for _, tc := range []struct {
		conffiles bool
		want      map[string]string
	}{
		{false, map[string]string{"/bin/busybox": FileOK, "/bin/sh": FileOK, "/bin/tampered": FileMismatch,
			"/bin/gone": FileMissing, "/usr/lib/lib.so": FileOK}},
		{true, map[string]string{"/bin/busybox": FileOK, "/bin/sh": FileOK, "/bin/tampered": FileMismatch,
			"/bin/gone": FileMissing, "/usr/lib/lib.so": FileOK, "/etc/motd": FileMismatch}},
	} {
		res, err := Verify(context.Background(), tg, x, VerifyOptions{Conffiles: tc.conffiles, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range res {
			got[r.Path] = r.Status
		}
		if len(got) != len(tc.want) {
			t.Errorf("conffiles %v: %v, want %v", tc.conffiles, got, tc.want)
		}
		for p, w := range tc.want {
			if got[p] != w {
				t.Errorf("conffiles %v: %s %q, want %q", tc.conffiles, p, got[p], w)
			}
		}
	}
	file := func(body string) *fim.Entry {
		return &fim.Entry{Type: fim.TypeFile, Mode: 0o755, SHA256: hexSHA256(body)}
	}
	cur := map[string]*fim.Entry{"/bin/busybox": file("busybox 1.36"), "/bin/tampered": file("evil"), "/usr/lib/lib.so": file("lib")}
	changes := []fim.Change{
		{Path: "/bin/busybox", Kind: fim.Changed, Type: fim.TypeFile, Diffs: []fim.Diff{{Attr: "sha256"}}},
		{Path: "/bin/tampered", Kind: fim.Changed, Type: fim.TypeFile, Diffs: []fim.Diff{{Attr: "sha256"}}},
		{Path: "/usr/lib/lib.so", Kind: fim.Added, Type: fim.TypeFile},
	}
	if err := Explain(context.Background(), tg, changes, func(p string) *fim.Entry { return cur[p] }, Evidence{Packages: x}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"/bin/busybox": fim.ByPackage, "/bin/tampered": fim.ByNone, "/usr/lib/lib.so": fim.ByPackage}
	for _, c := range changes {
		if c.Explained == nil || c.Explained.By != want[c.Path] {
			t.Errorf("%s: %+v, want %s", c.Path, c.Explained, want[c.Path])
		}
	}
	if e := changes[0].Explained; e.Ref != "busybox:x86_64 1.36.1-r5" {
		t.Errorf("ref %+v", e)
	}
}

func hexSHA256(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
