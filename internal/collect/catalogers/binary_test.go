package catalogers

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cradle-cra/cradle/internal/imagebuild"
	"github.com/cradle-cra/cradle/internal/target"
)

var (
	goOnce  sync.Once
	goBuilt []byte
	goErr   error
)

// buildGo builds a small Go program with one (directory-replaced)
// dependency, once per test run, and copies it to dir/bin/app.
func buildGo(t *testing.T, dir string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	goOnce.Do(func() { goBuilt, goErr = compileGo() })
	if goErr != nil {
		t.Fatal(goErr)
	}
	out := filepath.Join(dir, "bin", "app")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, goBuilt, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

func compileGo() ([]byte, error) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	tmp, err := os.MkdirTemp("", "cradle-gobin")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "src")
	files := map[string]string{
		"go.mod":     "module example.org/app\n\ngo 1.22\n\nrequire example.org/dep v1.2.3\n\nreplace example.org/dep => ./dep\n",
		"main.go":    "package main\n\nimport \"example.org/dep\"\n\nfunc main() { println(dep.Hello()) }\n",
		"dep/go.mod": "module example.org/dep\n\ngo 1.22\n",
		"dep/dep.go": "package dep\n\nfunc Hello() string { return \"hello\" }\n",
	}
	for name, body := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	out := filepath.Join(tmp, "app")
	cmd := exec.Command(goBin, "build", "-trimpath", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, b)
	}
	return os.ReadFile(out)
}

func props(p Package) map[string]string {
	m := map[string]string{}
	for _, pr := range p.Properties {
		m[pr.Name] = pr.Value
	}
	return m
}

func TestGoBinary(t *testing.T) {
	root := t.TempDir()
	buildGo(t, root)
	r := collect(t, root, Options{})
	var got []string
	for _, p := range r.Packages {
		got = append(got, line(p))
	}
	std := goStdlibVersion(runtime.Version())
	want := []string{
		"go-binary pkg:golang/example.org/app /bin/app app deps=example.org/dep@v1.2.3,stdlib",
		"go-binary pkg:golang/stdlib@" + std + " /bin/app",
		"go-binary pkg:golang/example.org/dep@v1.2.3 /bin/app",
		"unpackaged-file  /bin/app", // no package database: nothing is owned
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if m := props(r.Packages[0]); m["golang:build:GOOS"] != "linux" || m["golang:build:GOARCH"] != "amd64" || m["golang:build:CGO_ENABLED"] != "0" {
		t.Errorf("main module properties %v", m)
	}
	if m := props(r.Packages[1]); m["golang:toolchain"] != runtime.Version() || m["golang:build:GOOS"] != "linux" {
		t.Errorf("stdlib properties %v", m)
	}
	if m := props(r.Packages[2]); m["golang:replaced-by"] != "./dep" {
		t.Errorf("dependency properties %v", m)
	}
	// Without the executable bit it is not a candidate of the walk, but
	// a file named on its own is read whatever its mode.
	if err := os.Chmod(filepath.Join(root, "bin", "app"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := collect(t, root, Options{}); len(r.Packages) != 0 {
		t.Errorf("non-executable file catalogued: %d packages", len(r.Packages))
	}
	if r := collect(t, root, Options{File: "bin/app"}); len(r.Packages) != 3 {
		t.Errorf("single file: %d packages", len(r.Packages))
	}
}

// TestCargoAuditable adds a cargo-auditable section to a real ELF
// binary (objcopy) and reads it back.
func TestCargoAuditable(t *testing.T) {
	objcopy, err := exec.LookPath("objcopy")
	if err != nil {
		t.Skip("no objcopy")
	}
	root := t.TempDir()
	bin := buildGo(t, root)
	json := `{"packages":[` +
		`{"name":"rtool","version":"0.3.0","source":"local","root":true,"dependencies":[1,2]},` +
		`{"name":"anyhow","version":"1.0.86","source":"crates.io","dependencies":[]},` +
		`{"name":"cc","version":"1.1.0","source":"crates.io","kind":"build"}]}`
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(json))
	zw.Close()
	sec := filepath.Join(t.TempDir(), "dep")
	if err := os.WriteFile(sec, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(objcopy, "--add-section", ".dep-v0="+sec, bin).CombinedOutput(); err != nil {
		t.Skipf("objcopy: %v %s", err, b)
	}
	r := collect(t, root, Options{Only: []string{"cargo-auditable"}})
	var got []string
	for _, p := range r.Packages {
		got = append(got, line(p))
	}
	want := []string{
		"cargo-auditable pkg:cargo/rtool@0.3.0 /bin/app app deps=anyhow@1.0.86,cc@1.1.0",
		"cargo-auditable pkg:cargo/anyhow@1.0.86 /bin/app",
		"cargo-auditable pkg:cargo/cc@1.1.0 /bin/app",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// zipOf builds a zip archive of name → content.
func zipOf(t testing.TB, files map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJavaArchive(t *testing.T) {
	root := t.TempDir()
	inner := zipOf(t, map[string][]byte{
		"META-INF/maven/org.example/inner-lib/pom.properties": []byte("#Generated by Maven\ngroupId=org.example\nartifactId=inner-lib\nversion=2.5.1\n"),
	})
	noMeta := zipOf(t, map[string][]byte{"META-INF/MANIFEST.MF": []byte("Manifest-Version: 1.0\r\nImplementation-Title: Some Title\r\nImplementation-Version: 0.7\r\n\r\n")})
	outer := zipOf(t, map[string][]byte{
		"META-INF/maven/com.acme/app/pom.properties": []byte("groupId = com.acme\nartifactId = app\nversion = 1.0.0\n"),
		"BOOT-INF/lib/inner-lib-2.5.1.jar":           inner,
		"BOOT-INF/lib/plain-util-0.7.jar":            noMeta,
	})
	if err := os.MkdirAll(filepath.Join(root, "opt"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"opt/app.jar": outer, "opt/broken.jar": []byte(strings.Repeat("not a zip", 10))} {
		if err := os.WriteFile(filepath.Join(root, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := collect(t, root, Options{})
	var got []string
	for _, p := range r.Packages {
		got = append(got, line(p))
	}
	want := []string{
		"java-archive pkg:maven/com.acme/app@1.0.0 /opt/app.jar",
		"java-archive pkg:maven/org.example/inner-lib@2.5.1 /opt/app.jar!/BOOT-INF/lib/inner-lib-2.5.1.jar",
		"java-archive pkg:maven/plain-util@0.7 /opt/app.jar!/BOOT-INF/lib/plain-util-0.7.jar",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(r.Gaps) != 1 || !strings.Contains(r.Gaps[0], "/opt/broken.jar") {
		t.Errorf("gaps %v", r.Gaps)
	}
	// Each package carries the SHA-512 of the archive that names it.
	sum := func(b []byte) string { s := sha512.Sum512(b); return hex.EncodeToString(s[:]) }
	for i, b := range [][]byte{outer, inner, noMeta} {
		if i < len(r.Packages) && !slices.Equal(r.Packages[i].Hashes, []Hash{{"SHA-512", sum(b)}}) {
			t.Errorf("%s: hashes %v", r.Packages[i].Location, r.Packages[i].Hashes)
		}
	}
}

func TestGoStdlibVersion(t *testing.T) {
	for in, want := range map[string]string{
		"go1.22.3": "v1.22.3", "go1.20": "v1.20.0", "go1.21rc2": "v1.21.0-rc.2", "go1.24.0 X:boringcrypto": "v1.24.0",
		"go1.9beta1": "v1.9.0-beta.1", "devel go1.23-abc": "", "go": "", "go1.x": "", "1.22": "",
		"go1.22-20231128-RC02 cl/586117301 +6111acc8e6 X:fieldtrack,boringcrypto": "v1.22.0-20231128-RC02", "go1.22-": "", "go1.22-a_b": "",
	} {
		if got := goStdlibVersion(in); got != want {
			t.Errorf("goStdlibVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUnpackagedFiles: ELF files in system directories that no dpkg file
// list names (merged /usr: /bin/x is listed, usr/bin/x is on disk)
// become file components with their hashes; scripts and owned files do
// not; an rpm system gives a gap rather than calling everything unowned.
func TestUnpackagedFiles(t *testing.T) {
	root := t.TempDir()
	bin := buildGo(t, root)
	elf, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"usr/bin/owned":                      elf,
		"usr/local/bin/mine":                 elf,
		"usr/bin/script":                     []byte("#!/bin/sh\n" + strings.Repeat("echo\n", 400)),
		"var/lib/dpkg/info/owner.list":       []byte("/.\n/bin\n/bin/owned\n/bin/app\n"),
		"usr/lib/x86_64-linux-gnu/libz.so.1": elf,
		// Windows executables count anywhere; a DOS stub without the PE
		// header, or an ELF under a Windows name, does not.
		"opt/py/site-packages/setuptools/cli-64.exe": peFile(0x80, "PE\x00\x00"),
		"opt/py/site-packages/tool/dos.exe":          peFile(0x80, "NE\x00\x00"),
		"opt/py/site-packages/tool/far.dll":          peFile(1<<20, "PE\x00\x00"),
		"opt/py/site-packages/tool/elf.exe":          elf,
	}
	for name, b := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(root, "usr/lib/x86_64-linux-gnu/libz.so.1"), 0o644)
	r := collect(t, root, Options{Only: []string{"unpackaged-file"}})
	var got []string
	for _, p := range r.Packages {
		got = append(got, p.Location)
		if len(p.Hashes) != 2 || p.Hashes[0].Alg != "SHA-256" || len(p.Hashes[0].Value) != 64 || p.Hashes[1].Alg != "SHA-512" || len(p.Hashes[1].Value) != 128 {
			t.Errorf("%s: hashes %v", p.Location, p.Hashes)
		}
	}
	if want := []string{"/opt/py/site-packages/setuptools/cli-64.exe", "/usr/lib/x86_64-linux-gnu/libz.so.1", "/usr/local/bin/mine"}; !slices.Equal(got, want) || len(r.Gaps) > 0 {
		t.Errorf("got %v, gaps %v; want %v", got, r.Gaps, want)
	}
	if err := os.MkdirAll(filepath.Join(root, "var/lib/rpm"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "var/lib/rpm/rpmdb.sqlite"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = collect(t, root, Options{Only: []string{"unpackaged-file"}})
	if len(r.Packages) != 0 || len(r.Gaps) != 1 || !strings.Contains(r.Gaps[0], "rpm") {
		t.Errorf("rpm system: %d packages, gaps %v", len(r.Packages), r.Gaps)
	}
}

// peFile is a minimal Windows executable header: "MZ", e_lfanew at 0x3c
// pointing at sig, padded to 2 KiB.
func peFile(lfanew int, sig string) []byte {
	b := make([]byte, 2048)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], uint32(lfanew))
	if lfanew+len(sig) <= len(b) {
		copy(b[lfanew:], sig)
	}
	return b
}

// TestImage: catalogers read a container image's files in place (a
// gzip-compressed layer: from the spool) as they read a directory's.
func TestImage(t *testing.T) {
	dir := t.TempDir()
	buildGo(t, dir)
	elf, err := os.ReadFile(filepath.Join(dir, "bin", "app"))
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(filepath.Join(langs, "srv", "rust", "Cargo.lock"))
	if err != nil {
		t.Fatal(err)
	}
	layers := []imagebuild.Layer{{Entries: []imagebuild.Entry{
		imagebuild.File("usr/local/bin/app", string(elf), 0o755, 0, 0),
		imagebuild.File("app/Cargo.lock", string(lock), 0o644, 0, 0),
	}}}
	img := filepath.Join(dir, "img.tar")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := imagebuild.WriteDockerArchive(f, layers, imagebuild.Options{Compression: imagebuild.Gzip}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tg, err := target.OpenImage(context.Background(), img, target.ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	r, err := Collect(context.Background(), tg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, p := range r.Packages {
		per[p.Cataloger]++
	}
	if per["go-binary"] != 3 || per["cargo-lock"] != 4 || per["unpackaged-file"] != 1 || len(r.Gaps) > 0 {
		t.Errorf("per cataloger %v, gaps %v", per, r.Gaps)
	}
}

// TestZipDirBound: an archive whose end record claims a huge central
// directory is refused before archive/zip reads it.
func TestZipDirBound(t *testing.T) {
	b := zipOf(t, map[string][]byte{"a": []byte("x")})
	i := bytes.LastIndex(b, []byte("PK\x05\x06"))
	bad := append([]byte(nil), b...)
	bad[i+12], bad[i+13], bad[i+14], bad[i+15] = 0, 0, 0, 0x7f // 2 GiB
	budget := int64(maxNestedTotal)
	if _, err := readJar(bytes.NewReader(bad), int64(len(bad)), "a.jar", "/a.jar", 0, &budget); err == nil || !strings.Contains(err.Error(), "central directory") {
		t.Errorf("err %v", err)
	}
	if dir, err := zipDirSize(bytes.NewReader(b), int64(len(b))); err != nil || dir == 0 || dir > 100 {
		t.Errorf("good archive: %d, %v", dir, err)
	}
}
