package packages

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

const dpkgSample = `Package: telnetd
Status: install ok installed
Priority: optional
Architecture: amd64
Source: inetutils (2:2.4-2)
Version: 0.17+2.4-2
Description: telnet server
 a second line
 .
 third

Package: removed-pkg
Status: deinstall ok config-files
Architecture: all
Version: 1.0

Package: broken
Status: install reinstreq half-installed
Architecture: amd64
Version: 2.0
`

func TestParseDpkgStatus(t *testing.T) {
	got := ParseDpkgStatus([]byte(dpkgSample), "/var/lib/dpkg/status")
	want := []Package{
		{Name: "telnetd", Version: "0.17+2.4-2", Arch: "amd64", Source: "inetutils", Status: "installed", Installed: true, Manager: Dpkg, File: "/var/lib/dpkg/status", Line: 1},
		{Name: "removed-pkg", Version: "1.0", Arch: "all", Status: "config-files", Manager: Dpkg, File: "/var/lib/dpkg/status", Line: 12},
		{Name: "broken", Version: "2.0", Arch: "amd64", Status: "half-installed", Installed: true, Manager: Dpkg, File: "/var/lib/dpkg/status", Line: 17},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d packages: %+v", len(got), got)
	}
	for i := range want {
		t.Run(want[i].Name, func(t *testing.T) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("got %+v\nwant %+v", got[i], want[i])
			}
		})
	}
}

func TestParseApkInstalled(t *testing.T) {
	in := "C:Q1abc=\nP:musl\nV:1.2.5-r0\nA:x86_64\no:musl\nF:lib\nR:libc.so\n\nP:busybox\nV:1.36.1-r29\nA:x86_64\n"
	got := ParseApkInstalled([]byte(in), "/lib/apk/db/installed")
	if len(got) != 2 || got[0].Name != "musl" || got[0].Line != 2 || got[0].Version != "1.2.5-r0" || got[1].Name != "busybox" || got[1].Line != 9 {
		t.Fatalf("got %+v", got)
	}
}

func TestReadRPMDB(t *testing.T) {
	b, err := os.ReadFile("testdata/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := ReadRPMDB(context.Background(), bytes.NewReader(b), int64(len(b)), nil, 0, "/var/lib/rpm/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 304 {
		t.Fatalf("got %d packages", len(pkgs))
	}
	by := map[string]Package{}
	for _, p := range pkgs {
		by[p.Name] = p
	}
	tests := []struct{ name, version, arch string }{
		{"bash", "5.1.8-9.el9", "x86_64"},
		{"openssl", "1:3.0.7-27.el9", "x86_64"},
		{"pkg1", "1.1-1.el9", "x86_64"},
		{"pkg300", "1.300-1.el9", "x86_64"},
		{"bigpkg", "1.0-1", "noarch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := by[tc.name]
			if !ok || p.Version != tc.version || p.Arch != tc.arch || !p.Installed {
				t.Errorf("got %+v", p)
			}
		})
	}
	if !strings.HasPrefix(by["bigpkg"].Source, "bigpkg-1.0-1.src.rpmxxx") || len(by["bigpkg"].Source) < 20000 {
		t.Errorf("overflow payload not assembled: %d bytes", len(by["bigpkg"].Source))
	}
}

func TestReadRPMDBCorrupt(t *testing.T) {
	b, err := os.ReadFile("testdata/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("not sqlite"), b[10:]...),
		"truncated": b[:8192],
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ReadRPMDB(context.Background(), bytes.NewReader(in), int64(len(in)), nil, 0, "x"); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestRPMHeaderRoundTrip(t *testing.T) {
	h := RPMHeader{Name: "kernel", Version: "5.14.0", Release: "427.el9", Arch: "x86_64", SourceRPM: "kernel.src.rpm", Epoch: 2,
		Vendor: "Red Hat, Inc.", License: "GPL-2.0-only", Provides: []string{"kernel", "kernel(x86-64)"}, Requires: []string{"/bin/sh", "rpmlib(CompressedFileNames)", "dracut"}}
	got, err := ParseRPMHeader(BuildRPMHeader(h))
	if err != nil || !reflect.DeepEqual(got, h) {
		t.Fatalf("got %+v, %v", got, err)
	}
	if got.EVR() != "2:5.14.0-427.el9" {
		t.Errorf("EVR %q", got.EVR())
	}
}

func TestCollect(t *testing.T) {
	dir := t.TempDir()
	write := func(p string, b []byte) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("var/lib/dpkg/status", []byte(dpkgSample))
	rpm, _ := os.ReadFile("testdata/rpmdb.sqlite")
	write("usr/lib/sysimage/rpm/rpmdb.sqlite", rpm)
	if err := os.Symlink("../../usr/lib/sysimage/rpm", filepath.Join(dir, "var/lib/rpm")); err != nil {
		t.Fatal(err)
	}
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	db, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if len(db.Sources) != 2 || db.Err() != nil {
		t.Fatalf("sources %+v", db.Sources)
	}
	if !db.Installed("telnetd") || db.Installed("removed-pkg") || !db.Installed("bash") || len(db.Match("pkg1*")) != 111 {
		t.Errorf("matching wrong: %d", len(db.Match("pkg1*")))
	}
	// No os-release: dpkg's namespace defaults to debian, no distro.
	if got := db.Match("telnetd")[0].PURL; got != "pkg:deb/debian/telnetd@0.17%2B2.4-2?arch=amd64" {
		t.Errorf("telnetd purl %s", got)
	}
	if got := db.Match("bash")[0].PURL; got == "" || got[:8] != "pkg:rpm/" {
		t.Errorf("bash purl %q", got)
	}
}

func TestCollectLegacyRPM(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "var/lib/rpm"), 0o755)
	os.WriteFile(filepath.Join(dir, "var/lib/rpm/Packages"), []byte("bdb"), 0o644)
	tg, _ := target.OpenRootFS(dir)
	defer tg.Close()
	db, _ := Collect(context.Background(), tg)
	if err := db.Err(); err == nil || !strings.Contains(err.Error(), "unsupported rpmdb format") {
		t.Errorf("err %v", err)
	}
}

func TestDebootstrapStatus(t *testing.T) {
	b, err := os.ReadFile("/var/cache/cradle-fixtures/rootfs-bookworm/var/lib/dpkg/status")
	if err != nil {
		t.Skip("fixture rootfs not built")
	}
	db := &DB{Packages: ParseDpkgStatus(b, "/var/lib/dpkg/status")}
	db.index()
	for _, n := range []string{"dpkg", "systemd", "openssh-server", "libc6"} {
		if !db.Installed(n) {
			t.Errorf("%s not installed", n)
		}
	}
}

func FuzzParseDpkgStatus(f *testing.F) {
	f.Add([]byte(dpkgSample))
	f.Fuzz(func(t *testing.T, b []byte) { ParseDpkgStatus(b, "f") })
}

func FuzzParseApkInstalled(f *testing.F) {
	f.Add([]byte("P:musl\nV:1\nA:x86_64\n\nP:x\n"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseApkInstalled(b, "f") })
}

func FuzzParseRPMHeader(f *testing.F) {
	f.Add(BuildRPMHeader(RPMHeader{Name: "a", Version: "1", Release: "2", Arch: "x", Epoch: 1}))
	f.Fuzz(func(t *testing.T, b []byte) { ParseRPMHeader(b) })
}

func FuzzReadRPMDB(f *testing.F) {
	if b, err := os.ReadFile("testdata/rpmdb.sqlite"); err == nil {
		f.Add(b[:16384])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ReadRPMDB(context.Background(), bytes.NewReader(b), int64(len(b)), nil, 0, "f")
	})
}

func TestReadRPMDBWAL(t *testing.T) {
	db, err := os.ReadFile("testdata/wal/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	wal, err := os.ReadFile("testdata/wal/rpmdb.sqlite-wal")
	if err != nil {
		t.Fatal(err)
	}
	names := func(pkgs []Package) string {
		var n []string
		for _, p := range pkgs {
			n = append(n, p.Name)
		}
		return strings.Join(n, " ")
	}
	tests := []struct {
		name string
		wal  []byte
		want string
	}{
		{"checkpointed file only", nil, "bash zlib"},
		{"committed wal frames", wal, "bash telnet-server"},
		{"torn wal is used up to the last good commit", append(append([]byte(nil), wal[:len(wal)-100]...), make([]byte, 100)...), "bash zlib"},
		{"foreign wal ignored", []byte("not a wal file at all, really not, no."), "bash zlib"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var w io.ReaderAt
			if tc.wal != nil {
				w = bytes.NewReader(tc.wal)
			}
			pkgs, err := ReadRPMDB(context.Background(), bytes.NewReader(db), int64(len(db)), w, int64(len(tc.wal)), "f")
			if err != nil {
				t.Fatal(err)
			}
			if got := names(pkgs); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzReadRPMDBWAL(f *testing.F) {
	db, err1 := os.ReadFile("testdata/wal/rpmdb.sqlite")
	wal, err2 := os.ReadFile("testdata/wal/rpmdb.sqlite-wal")
	if err1 != nil || err2 != nil {
		f.Skip("testdata missing")
	}
	f.Add(wal)
	f.Fuzz(func(t *testing.T, w []byte) {
		ReadRPMDB(context.Background(), bytes.NewReader(db), int64(len(db)), bytes.NewReader(w), int64(len(w)), "f")
	})
}

func TestLongLinesDoNotHideStanzas(t *testing.T) {
	long := "Package: big\nStatus: install ok installed\nDescription: x\n " + strings.Repeat("y", 3<<20) + "\n\nPackage: telnetd\nStatus: install ok installed\nVersion: 1\n"
	got := ParseDpkgStatus([]byte(long), "f")
	if len(got) != 2 || got[1].Name != "telnetd" || got[1].Line != 6 {
		t.Fatalf("got %d packages", len(got))
	}
}

func TestCollectDistroless(t *testing.T) {
	dir := t.TempDir()
	d := filepath.Join(dir, "var/lib/dpkg/status.d")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d, "libc6"), []byte("Package: libc6\nVersion: 2.36-9\nArchitecture: amd64\nStatus: install ok installed\n"), 0o644)
	os.WriteFile(filepath.Join(d, "base-files"), []byte("Package: base-files\nVersion: 12.4\nArchitecture: amd64\n"), 0o644)
	os.WriteFile(filepath.Join(d, "libc6.md5sums"), []byte("abc  lib/x\n"), 0o644)
	tg, _ := target.OpenRootFS(dir)
	defer tg.Close()
	db, err := Collect(context.Background(), tg)
	if err != nil || db.Err() != nil {
		t.Fatal(err, db.Err())
	}
	if !db.Installed("libc6") || !db.Installed("base-files") || len(db.Packages) != 2 {
		t.Errorf("got %+v", db.Packages)
	}
}
