package sbom

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/github/go-spdx/v2/spdxexp"

	"github.com/cradle-cra/cradle/internal/target"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func sum(s string) string {
	h := sha512.Sum512([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestHashDpkgMergedUsr: a Multi-Arch list (NAME:ARCH.list) naming
// /bin/ls where /bin is a symlink to usr/bin (merged /usr) is hashed
// through the resolver; the package hash is the sorted sha512sum lines'.
func TestHashDpkgMergedUsr(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks")
	}
	root := writeTree(t, map[string]string{
		"etc/os-release":                         "ID=debian\nVERSION_ID=12\n",
		"var/lib/dpkg/status":                    "Package: coreutils\nStatus: install ok installed\nArchitecture: amd64\nVersion: 9.1-1\nMaintainer: M <m@example.org>\n",
		"var/lib/dpkg/info/coreutils:amd64.list": "/.\n/bin\n/bin/ls\n/usr/share/doc/coreutils/README\n/usr/bin/gone\n",
		"usr/bin/ls":                             "ls",
		"usr/share/doc/coreutils/README":         "readme",
	})
	if err := os.Chmod(filepath.Join(root, "usr/bin/ls"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("usr/bin", filepath.Join(root, "bin")); err != nil {
		t.Fatal(err)
	}
	tg, err := target.OpenRootFS(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	b, err := Build(context.Background(), tg, "t", false)
	if err != nil {
		t.Fatal(err)
	}
	c := b.Components[0]
	want := []File{{Path: "/bin/ls", SHA512: sum("ls"), Executable: true}, {Path: "/usr/share/doc/coreutils/README", SHA512: sum("readme")}}
	if len(c.Files) != 2 || c.Files[0] != want[0] || c.Files[1] != want[1] || c.Executable != "executable" {
		t.Fatalf("files %+v executable %q unavailable %v", c.Files, c.Executable, c.Unavailable)
	}
	manifest := sum(sum("ls") + "  /bin/ls\n" + sum("readme") + "  /usr/share/doc/coreutils/README\n")
	if c.SHA512 != manifest || c.Unavailable[FieldHash] != "" {
		t.Errorf("package hash %s, want %s", c.SHA512, manifest)
	}
}

// TestHashApk: apk's R: lines under F: directories are hashed; a
// package without files says why.
func TestHashApk(t *testing.T) {
	root := writeTree(t, map[string]string{
		"etc/os-release":          "ID=alpine\nVERSION_ID=3.20.0\n",
		"lib/apk/db/installed":    "P:musl\nV:1.2.5-r0\nA:x86_64\nm:Maintainer <m@alpinelinux.org>\nL:MIT\nF:lib\nR:ld-musl-x86_64.so.1\n\nP:empty\nV:1\nL:MIT\n\n",
		"lib/ld-musl-x86_64.so.1": "musl",
	})
	tg, err := target.OpenRootFS(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	b, err := BuildWith(context.Background(), tg, "t", false, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Component{}
	for _, c := range b.Components {
		byName[c.Name] = c
	}
	if m := byName["musl"]; len(m.Files) != 1 || m.Files[0].SHA512 != sum("musl") || m.Files[0].Path != "/lib/ld-musl-x86_64.so.1" {
		t.Errorf("musl %+v", m)
	}
	if e := byName["empty"]; e.SHA512 != "" || e.Unavailable[FieldHash] == "" || e.Unavailable[FieldExecutable] == "" {
		t.Errorf("empty %+v", e)
	}
	if m := byName["musl"]; m.Unavailable[FieldLicense] != "" || m.Unavailable[FieldCreator] != "" {
		t.Errorf("musl unavailable %v", m.Unavailable)
	}
}

func TestSPDXExpression(t *testing.T) {
	for in, want := range map[string]string{
		"MIT": "MIT", "GPL-2+": "GPL-2.0-or-later", "GPL-2+ or Artistic": "GPL-2.0-or-later OR Artistic-1.0",
		"Expat": "MIT", "GPLv2+": "", "public-domain": "", "": "", "(LGPL-2.1+ and BSD-3-clause)": "(LGPL-2.1-or-later AND BSD-3-Clause)",
		"GPL-2.0+": "GPL-2.0-or-later", "LGPL-2.1": "LGPL-2.1-only", "GPL-3.0+ AND Apache-2.0": "GPL-3.0-or-later AND Apache-2.0",
		"gpl-3": "GPL-3.0-only", "AGPL-3+": "AGPL-3.0-or-later", "GFDL-1.3+": "GFDL-1.3-or-later", "GPL-2.0-only": "GPL-2.0-only",
		"bsd-3-clause": "BSD-3-Clause", "Apache-2.0 WITH LLVM-exception": "Apache-2.0 WITH LLVM-exception",
		"GPL-4+": "", "Zlib": "Zlib", "MIT/X11": "MIT",
	} {
		if got := SPDXExpression(in); got != want {
			t.Errorf("SPDXExpression(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDebianExpression(t *testing.T) {
	for _, c := range []struct {
		in, want string
		refs     []string
	}{
		{"GPL-2+", "GPL-2.0-or-later", nil},
		{"LGPL-2.1+", "LGPL-2.1-or-later", nil},
		{"BSD-3-clause or GPL", "BSD-3-Clause OR LicenseRef-GPL", []string{"LicenseRef-GPL"}},
		{"public-domain", "LicenseRef-public-domain", []string{"LicenseRef-public-domain"}},
		{"Artistic or GPL-1+", "Artistic-1.0 OR GPL-1.0-or-later", nil},
		{"GPL-2+ with OpenSSL exception", "LicenseRef-GPL-2-or-later-with-OpenSSL-exception", []string{"LicenseRef-GPL-2-or-later-with-OpenSSL-exception"}},
		{"GPL-2+ with Font exception", "GPL-2.0-or-later WITH Font-exception-2.0", nil},
		{"GPL-2+ or AFL-2.1, and Expat and Tcl-BSDish", "(GPL-2.0-or-later OR AFL-2.1) AND (MIT AND LicenseRef-Tcl-BSDish)", []string{"LicenseRef-Tcl-BSDish"}},
		{"Paul-Vixie's-license", "LicenseRef-Paul-Vixie-s-license", []string{"LicenseRef-Paul-Vixie-s-license"}},
		{"CC0 or Apache-2.0", "CC0-1.0 OR Apache-2.0", nil},
		{"GFDL-NIV-1.3+", "LicenseRef-GFDL-NIV-1.3-or-later", []string{"LicenseRef-GFDL-NIV-1.3-or-later"}},
		{"Perl", "(Artistic-1.0-Perl OR GPL-1.0-or-later)", nil},
		{"GPL-2+,", "", nil},
		{"GPL-2+, Expat", "", nil},
		{"(GPL-2+", "", nil},
	} {
		got, refs := DebianExpression(c.in)
		if got != c.want || !reflect.DeepEqual(licenseRefs(refs), append([]string{}, c.refs...)) {
			t.Errorf("DebianExpression(%q) = %q %v, want %q %v", c.in, got, licenseRefs(refs), c.want, c.refs)
		}
		if got != "" {
			if ok, bad := spdxexp.ValidateLicenses([]string{got}); !ok {
				t.Errorf("%q: go-spdx rejects %v", got, bad)
			}
		}
	}
}

// FuzzDebianExpression: any License field gives "" or an expression
// go-spdx accepts, whose LicenseRefs are all named in refs.
func FuzzDebianExpression(f *testing.F) {
	for _, s := range []string{"GPL-2+ or Artistic", "GPL-2+ with OpenSSL exception", "A or B, and C", "(MIT and x", "public-domain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		expr, refs := DebianExpression(s)
		if expr == "" {
			return
		}
		if ok, bad := spdxexp.ValidateLicenses([]string{expr}); !ok {
			t.Fatalf("%q → %q: invalid %v", s, expr, bad)
		}
		for _, w := range strings.Fields(strings.NewReplacer("(", " ", ")", " ").Replace(expr)) {
			if strings.HasPrefix(w, "LicenseRef-") && refs[w] == "" {
				t.Fatalf("%q → %q: %s not in refs", s, expr, w)
			}
		}
	})
}

func TestParseRecord(t *testing.T) {
	rec := "pkg/__init__.py,sha256=x,1\n\"pkg/a, b.py\",,\n../../../bin/tool,sha256=y,2\npkg/__init__.py,,\n,,\n/etc/abs.conf,,\n"
	got, err := parseRecord([]byte(rec), "/usr/lib/python3/site-packages")
	want := []string{"/etc/abs.conf", "/usr/bin/tool", "/usr/lib/python3/site-packages/pkg/__init__.py", "/usr/lib/python3/site-packages/pkg/a, b.py"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("parseRecord = %q, %v; want %q", got, err, want)
	}
	if _, err := parseRecord([]byte("\"unterminated\n"), "/s"); err == nil {
		t.Error("bad CSV accepted")
	}
}

// FuzzRecord: any RECORD gives clean absolute paths or an error.
func FuzzRecord(f *testing.F) {
	f.Add([]byte("pkg/__init__.py,sha256=x,1\n../../../bin/tool,,\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		paths, err := parseRecord(b, "/usr/lib/python3/site-packages")
		if err != nil {
			return
		}
		for _, p := range paths {
			if !strings.HasPrefix(p, "/") || path.Clean(p) != p {
				t.Fatalf("path %q", p)
			}
		}
	})
}
