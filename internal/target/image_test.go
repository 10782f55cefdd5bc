package target

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/imagebuild"
)

// baseTree is the first layer of the test images.
func baseTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]struct {
		body string
		mode fs.FileMode
	}{
		"etc/os-release":        {"ID=debian\nVERSION_ID=\"12\"\n", 0o644},
		"etc/shadow":            {"root:*:19000:0:99999:7:::\n", 0o640},
		"etc/passwd":            {"root:x:0:0:root:/root:/bin/bash\n", 0o644},
		"usr/bin/tool":          {"#!/bin/sh\n", 0o755},
		"var/lib/gone/file":     {"old", 0o644},
		"var/cache/opq/old":     {"old", 0o644},
		"var/cache/opq/sub/old": {"old", 0o644},
		"opt/a/b":               {"b", 0o600},
	}
	for name, f := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(f.body), f.mode))
		must(t, os.Chmod(p, f.mode))
	}
	must(t, os.Chmod(filepath.Join(root, "usr/bin/tool"), 0o755|fs.ModeSetuid))
	must(t, os.Link(filepath.Join(root, "usr/bin/tool"), filepath.Join(root, "usr/bin/hard")))
	must(t, os.Symlink("usr/bin", filepath.Join(root, "bin")))
	if os.Geteuid() == 0 {
		must(t, os.Chown(filepath.Join(root, "etc/shadow"), 0, 42))
	}
	return root
}

// bigBody is larger than maxInline, so it is read lazily.
var bigBody = strings.Repeat("0123456789abcdef", 1<<17)

func testLayers(t *testing.T) []imagebuild.Layer {
	return []imagebuild.Layer{
		{Dir: baseTree(t)},
		{Entries: []imagebuild.Entry{
			imagebuild.Whiteout("var/lib/gone"),
			imagebuild.Opaque("var/cache/opq"),
			imagebuild.File("var/cache/opq/new", "new", 0o644, 0, 0),
			imagebuild.File("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0o644, 0, 0),
			imagebuild.File("etc/motd", "hi", 0o600, 1000, 1001),
			{Header: tar.Header{Name: "etc/motd.hard", Typeflag: tar.TypeLink, Linkname: "etc/motd"}},
		}},
		{Entries: []imagebuild.Entry{
			imagebuild.File("usr/lib/big", bigBody, 0o644, 0, 0),
			imagebuild.Whiteout("opt/a/b"),
		}},
	}
}

type imageFormat struct {
	name  string
	write func(t *testing.T, dir string, layers []imagebuild.Layer, o imagebuild.Options) string
}

func writeTo(t *testing.T, p string, fn func(io.Writer) error) string {
	t.Helper()
	f, err := os.Create(p)
	must(t, err)
	must(t, fn(f))
	must(t, f.Close())
	return p
}

var imageFormats = []imageFormat{
	{"docker", func(t *testing.T, dir string, l []imagebuild.Layer, o imagebuild.Options) string {
		return writeTo(t, filepath.Join(dir, "img.tar"), func(w io.Writer) error { return imagebuild.WriteDockerArchive(w, l, o) })
	}},
	{"docker-oci", func(t *testing.T, dir string, l []imagebuild.Layer, o imagebuild.Options) string {
		o.DockerOCI = true
		return writeTo(t, filepath.Join(dir, "img.tar"), func(w io.Writer) error { return imagebuild.WriteDockerArchive(w, l, o) })
	}},
	{"oci-dir", func(t *testing.T, dir string, l []imagebuild.Layer, o imagebuild.Options) string {
		p := filepath.Join(dir, "layout")
		must(t, imagebuild.WriteOCILayout(p, l, o))
		return p
	}},
	{"oci-tar", func(t *testing.T, dir string, l []imagebuild.Layer, o imagebuild.Options) string {
		return writeTo(t, filepath.Join(dir, "img.tar"), func(w io.Writer) error { return imagebuild.WriteOCIArchive(w, l, o) })
	}},
	{"docker-gzipped", func(t *testing.T, dir string, l []imagebuild.Layer, o imagebuild.Options) string {
		return writeTo(t, filepath.Join(dir, "img.tar.gz"), func(w io.Writer) error {
			zw := gzip.NewWriter(w)
			if err := imagebuild.WriteDockerArchive(zw, l, o); err != nil {
				return err
			}
			return zw.Close()
		})
	}},
}

var compressions = []struct {
	name string
	c    imagebuild.Compression
}{{"plain", imagebuild.None}, {"gzip", imagebuild.Gzip}, {"zstd", imagebuild.Zstd}}

func readString(t *testing.T, tg Target, name string) string {
	t.Helper()
	b, err := ReadFile(tg, name)
	if err != nil {
		t.Fatalf("ReadFile(%s): %v", name, err)
	}
	return string(b)
}

func TestImageFormats(t *testing.T) {
	for _, f := range imageFormats {
		for _, c := range compressions {
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				p := f.write(t, t.TempDir(), testLayers(t), imagebuild.Options{Compression: c.c})
				tg, err := OpenImage(context.Background(), p, ImageOptions{})
				must(t, err)
				defer tg.Close()
				checkTestImage(t, tg)
			})
		}
	}
}

func checkTestImage(t *testing.T, tg Target) {
	t.Helper()
	if tg.Kind() != KindImage || tg.Live() || !filepath.IsAbs(tg.Name()) {
		t.Fatalf("Kind/Live/Name = %v %v %q", tg.Kind(), tg.Live(), tg.Name())
	}
	if got := readString(t, tg, "/etc/os-release"); !strings.Contains(got, "ID=debian") {
		t.Errorf("os-release = %q", got)
	}
	if got := readString(t, tg, "etc/passwd"); !strings.HasSuffix(got, "/bin/sh\n") {
		t.Errorf("upper layer did not replace etc/passwd: %q", got)
	}
	if got := readString(t, tg, "/bin/tool"); got != "#!/bin/sh\n" {
		t.Errorf("through symlink: %q", got)
	}
	if got := readString(t, tg, "usr/lib/big"); got != bigBody {
		t.Errorf("big file: %d bytes, want %d", len(got), len(bigBody))
	}

	fi, err := tg.Stat("etc/shadow")
	must(t, err)
	if fi.Mode != 0o640 || fi.UID != 0 || (os.Geteuid() == 0 && fi.GID != 42) {
		t.Errorf("etc/shadow = %v %d:%d", fi.Mode, fi.UID, fi.GID)
	}
	fi, err = tg.Stat("etc/motd")
	must(t, err)
	if fi.Mode != 0o600 || fi.UID != 1000 || fi.GID != 1001 || fi.Size != 2 || fi.Nlink != 2 {
		t.Errorf("etc/motd = %+v", fi)
	}
	tool, err := tg.Stat("usr/bin/tool")
	must(t, err)
	hard, err := tg.Stat("usr/bin/hard")
	must(t, err)
	if tool.Mode != 0o755|fs.ModeSetuid || tool.Ino != hard.Ino || hard.Nlink != 2 || hard.Mode != tool.Mode {
		t.Errorf("tool %+v hard %+v", tool, hard)
	}
	if got := readString(t, tg, "usr/bin/hard"); got != "#!/bin/sh\n" {
		t.Errorf("hard link content %q", got)
	}
	ln, err := tg.Lstat("bin")
	must(t, err)
	if ln.Mode.Type() != fs.ModeSymlink || ln.Link != "usr/bin" {
		t.Errorf("Lstat(bin) = %+v", ln)
	}
	if l, err := tg.Readlink("/bin"); err != nil || l != "usr/bin" {
		t.Errorf("Readlink(bin) = %q, %v", l, err)
	}
	if _, err := tg.Readlink("etc/passwd"); err == nil {
		t.Error("Readlink of a regular file succeeded")
	}
	if st, err := tg.Stat("bin"); err != nil || !st.Mode.IsDir() || st.Path != "usr/bin" {
		t.Errorf("Stat(bin) = %+v, %v", st, err)
	}

	for _, gone := range []string{"var/lib/gone", "var/lib/gone/file", "var/cache/opq/old", "var/cache/opq/sub", "opt/a/b"} {
		if _, err := tg.Lstat(gone); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Lstat(%s) = %v, want not exist", gone, err)
		}
	}
	if !Exists(tg, "var/lib") || !Exists(tg, "opt/a") {
		t.Error("whiteout removed a parent")
	}
	ents, err := tg.ReadDir("var/cache/opq")
	must(t, err)
	if len(ents) != 1 || ents[0].Name != "new" || ents[0].Type != 0 {
		t.Errorf("opaque dir = %v", ents)
	}
	ents, err = tg.ReadDir("/")
	must(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	if !slices.Equal(names, []string{"bin", "etc", "opt", "usr", "var"}) {
		t.Errorf("ReadDir(/) = %v", names)
	}
	if _, err := tg.Open("etc"); err == nil {
		t.Error("Open of a directory succeeded")
	}
	if _, err := tg.ReadDir("etc/passwd"); err == nil {
		t.Error("ReadDir of a file succeeded")
	}

	var walked []string
	must(t, tg.Walk(context.Background(), WalkOptions{Skip: []string{"/usr"}}, func(fi FileInfo) error {
		walked = append(walked, fi.Path)
		return nil
	}))
	for _, want := range []string{"bin", "etc/motd.hard", "usr", "var/cache/opq/new"} {
		if !slices.Contains(walked, want) {
			t.Errorf("Walk missed %s: %v", want, walked)
		}
	}
	for _, w := range walked {
		if strings.HasPrefix(w, "usr/") || strings.Contains(w, "gone") || strings.HasSuffix(w, "old") {
			t.Errorf("Walk visited %s", w)
		}
	}
}

// hostileLayers builds a layer whose names and links all try to leave the
// root, mirroring hostileTree.
func hostileImage(t *testing.T, outside string) string {
	sym := func(name, dest string) imagebuild.Entry {
		return imagebuild.Entry{Header: tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: dest}}
	}
	layers := []imagebuild.Layer{{Entries: []imagebuild.Entry{
		imagebuild.File("etc/secret", "inside", 0o600, 0, 0),
		imagebuild.File("../../../../escape", "dotdot", 0o644, 0, 0),
		imagebuild.File("/abs/file", "abs", 0o644, 0, 0),
		imagebuild.File("./etc/../../etc/cleaned", "cleaned", 0o644, 0, 0),
		sym("etc/abs", outside),
		sym("etc/dotdot", "../../secret"),
		sym("etc/deep", "../../../../../../../secret"),
		sym("etc/dir", "/"),
		sym("etc/loop", "loop"),
		sym("etc/chain", "dotdot"),
		sym("etc/viaroot", "/etc/secret"),
		sym("etc/proc", "/proc/self/root/"+outside),
		sym("etc/parent", ".."),
		sym("etc/ancestor", "/../../.."),
		sym("etc/out", filepath.Dir(outside)),
		// A later entry under a symlinked directory must land inside the
		// tree, never through the link.
		imagebuild.File("etc/out/planted", "planted", 0o644, 0, 0),
		{Header: tar.Header{Name: "etc/hostlink", Typeflag: tar.TypeLink, Linkname: "../../../../" + outside}},
	}}}
	return writeTo(t, filepath.Join(t.TempDir(), "hostile.tar"), func(w io.Writer) error {
		return imagebuild.WriteDockerArchive(w, layers, imagebuild.Options{})
	})
}

func TestImageSymlinksCannotEscapeRoot(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	must(t, os.WriteFile(outside, []byte("host secret"), 0o600))
	tg, err := OpenImage(context.Background(), hostileImage(t, outside), ImageOptions{})
	must(t, err)
	defer tg.Close()
	tests := []struct {
		name    string
		want    string
		wantErr error
	}{
		{"etc/abs", "", fs.ErrNotExist},
		{"etc/dotdot", "", fs.ErrNotExist},
		{"etc/deep", "", fs.ErrNotExist},
		{"etc/chain", "", fs.ErrNotExist},
		{"etc/viaroot", "inside", nil},
		{"etc/dir/etc/secret", "inside", nil},
		{"etc/parent/etc/secret", "inside", nil},
		{"etc/ancestor/etc/secret", "inside", nil},
		{"/../../etc/secret", "inside", nil},
		{"etc/proc", "", fs.ErrNotExist},
		{"etc/loop", "", ErrLoop},
		{"escape", "dotdot", nil},
		{"abs/file", "abs", nil},
		{"etc/cleaned", "cleaned", nil},
		{"etc/out/planted", "planted", nil},
		{"etc/hostlink", "", fs.ErrNotExist},
		{outside, "", fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ReadFile(tg, tc.name)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("ReadFile(%s) = %q, %v; want error %v", tc.name, b, err, tc.wantErr)
				}
				return
			}
			if err != nil || string(b) != tc.want {
				t.Fatalf("ReadFile(%s) = %q, %v; want %q", tc.name, b, err, tc.want)
			}
		})
	}
	if fi, err := tg.Lstat("etc/out"); err != nil || !fi.Mode.IsDir() {
		t.Errorf("etc/out should have become a directory: %+v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(outside), "planted")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file was written outside the image: %v", err)
	}
	var n int
	must(t, tg.Walk(context.Background(), WalkOptions{}, func(fi FileInfo) error {
		n++
		if strings.HasPrefix(fi.Path, "/") || strings.Contains(fi.Path, "..") {
			t.Errorf("walk path %q", fi.Path)
		}
		return nil
	}))
	if n == 0 {
		t.Error("empty walk")
	}
}

func TestImageMultiPlatform(t *testing.T) {
	img := func(arch, body string) imagebuild.Image {
		return imagebuild.Image{Platform: imagebuild.Platform{OS: "linux", Architecture: arch},
			Layers: []imagebuild.Layer{{Entries: []imagebuild.Entry{imagebuild.File("etc/arch", body, 0o644, 0, 0)}}}}
	}
	tests := []struct {
		name   string
		images []imagebuild.Image
		want   string
	}{
		{"amd64 preferred", []imagebuild.Image{img("arm64", "arm64"), img("amd64", "amd64")}, "amd64"},
		{"first otherwise", []imagebuild.Image{img("arm64", "arm64"), img("riscv64", "riscv64")}, "arm64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeTo(t, filepath.Join(t.TempDir(), "multi.tar"), func(w io.Writer) error {
				return imagebuild.WriteOCIIndexArchive(w, tc.images, imagebuild.Options{Compression: imagebuild.Gzip})
			})
			tg, err := OpenImage(context.Background(), p, ImageOptions{})
			must(t, err)
			defer tg.Close()
			if got := readString(t, tg, "etc/arch"); got != tc.want {
				t.Fatalf("picked %q, want %q", got, tc.want)
			}
		})
	}
}

func TestImageErrors(t *testing.T) {
	dir := t.TempDir()
	deep := make([]imagebuild.Entry, 0, 20)
	for i := range 20 {
		deep = append(deep, imagebuild.File(strings.Repeat("d/", i)+"f", "x", 0o644, 0, 0))
	}
	many := writeTo(t, filepath.Join(dir, "many.tar"), func(w io.Writer) error {
		return imagebuild.WriteDockerArchive(w, []imagebuild.Layer{{Entries: deep}}, imagebuild.Options{})
	})
	long := writeTo(t, filepath.Join(dir, "long.tar"), func(w io.Writer) error {
		return imagebuild.WriteDockerArchive(w, []imagebuild.Layer{{Entries: []imagebuild.Entry{
			imagebuild.File(strings.Repeat("a/", 100)+"f", "x", 0o644, 0, 0)}}}, imagebuild.Options{})
	})
	// Few entries, many implicit parent directories: the tree must still
	// be bounded.
	var bomb []imagebuild.Entry
	for i := range 3 {
		bomb = append(bomb, imagebuild.File(fmt.Sprintf("d%d/", i)+strings.Repeat("a/", 40)+"f", "x", 0o644, 0, 0))
	}
	deepNames := writeTo(t, filepath.Join(dir, "bomb.tar"), func(w io.Writer) error {
		return imagebuild.WriteDockerArchive(w, []imagebuild.Layer{{Entries: bomb}}, imagebuild.Options{})
	})
	junk := filepath.Join(dir, "junk")
	must(t, os.WriteFile(junk, bytes.Repeat([]byte("junk"), 300), 0o644))
	notImage := writeTo(t, filepath.Join(dir, "plain.tar"), func(w io.Writer) error {
		tw := tar.NewWriter(w)
		tw.WriteHeader(&tar.Header{Name: "hello", Typeflag: tar.TypeReg, Size: 2, Mode: 0o644})
		tw.Write([]byte("hi"))
		return tw.Close()
	})
	small := defaultImageLimits
	small.maxEntries, small.maxPath = 10, 100
	tests := []struct {
		name    string
		path    string
		lim     imageLimits
		wantErr error
	}{
		{"entries", many, small, errImageLimit},
		{"path length", long, small, errImageLimit},
		{"implicit parents", deepNames, func() imageLimits { l := defaultImageLimits; l.maxEntries = 50; return l }(), errImageLimit},
		{"junk", junk, defaultImageLimits, nil},
		{"not an image", notImage, defaultImageLimits, nil},
		{"missing", filepath.Join(dir, "nope"), defaultImageLimits, fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := openImage(context.Background(), tc.path, tc.lim, "")
			if err == nil {
				tg.Close()
				t.Fatal("opened")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
	// The same images open with the default limits.
	for _, p := range []string{many, long} {
		tg, err := OpenImage(context.Background(), p, ImageOptions{})
		must(t, err)
		tg.Close()
	}
}

// TestImageRootfsFixture archives the debootstrap tree and checks the image
// target sees what the directory target sees.
func TestImageRootfsFixture(t *testing.T) {
	root := os.Getenv("CRADLE_TEST_ROOTFS")
	if root == "" {
		if os.Getenv("CRADLE_REQUIRE_FIXTURES") == "1" {
			t.Fatal("CRADLE_TEST_ROOTFS is not set")
		}
		t.Skip("CRADLE_TEST_ROOTFS is not set")
	}
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("CRADLE_TEST_ROOTFS: %v", err)
	}
	start := time.Now()
	comp := imagebuild.Gzip
	if raceEnabled {
		comp = imagebuild.None
	}
	p := writeTo(t, filepath.Join(t.TempDir(), "rootfs.tar"), func(w io.Writer) error {
		return imagebuild.WriteDockerArchive(w, imagebuild.DirLayers(root), imagebuild.Options{Compression: comp})
	})
	t.Logf("archive written in %v", time.Since(start))
	start = time.Now()
	img, err := OpenImage(context.Background(), p, ImageOptions{})
	must(t, err)
	t.Logf("image indexed in %v", time.Since(start))
	defer img.Close()
	dir, err := OpenRootFS(root)
	must(t, err)
	defer dir.Close()
	var (
		mu sync.Mutex // the directory walk is concurrent
		n  int
	)
	must(t, dir.Walk(context.Background(), WalkOptions{}, func(want FileInfo) error {
		if want.Mode.Type() == fs.ModeSocket {
			return nil
		}
		mu.Lock()
		n++
		mu.Unlock()
		got, err := img.Lstat(want.Path)
		if err != nil {
			t.Errorf("%s: %v", want.Path, err)
			return nil
		}
		if want.Mode.Type() == fs.ModeSymlink {
			want.Link, _ = dir.Readlink(want.Path)
		}
		if got.Mode != want.Mode || got.UID != want.UID || got.GID != want.GID || got.Link != want.Link ||
			(want.Mode.IsRegular() && (got.Size != want.Size || got.Nlink != want.Nlink)) {
			t.Errorf("%s: image %+v, dir %+v", want.Path, got, want)
		}
		return nil
	}))
	if n < 1000 {
		t.Fatalf("walked only %d entries", n)
	}
	for _, name := range []string{"etc/os-release", "etc/shadow", "etc/passwd", "usr/bin/bash", "etc/ssh/sshd_config"} {
		want, werr := ReadFile(dir, name)
		got, gerr := ReadFile(img, name)
		if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
			t.Errorf("%s: image %d bytes %v, dir %d bytes %v", name, len(got), gerr, len(want), werr)
		}
	}
}

func FuzzImageLayer(f *testing.F) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []tar.Header{
		{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "etc/passwd", Typeflag: tar.TypeReg, Size: 4, Mode: 0o644},
		{Name: "etc/l", Typeflag: tar.TypeSymlink, Linkname: "../../passwd"},
		{Name: "etc/h", Typeflag: tar.TypeLink, Linkname: "etc/passwd"},
		{Name: "etc/.wh.l", Typeflag: tar.TypeReg},
		{Name: "etc/.wh..wh..opq", Typeflag: tar.TypeReg},
	} {
		tw.WriteHeader(&h)
		if h.Size > 0 {
			tw.Write([]byte("root"))
		}
	}
	tw.Close()
	f.Add(buf.Bytes())
	var zbuf bytes.Buffer
	zw := gzip.NewWriter(&zbuf)
	zw.Write(buf.Bytes())
	zw.Close()
	f.Add(zbuf.Bytes())
	f.Add([]byte{})
	lim := defaultImageLimits
	lim.maxEntries, lim.maxBytes, lim.maxNameBytes = 1000, 64<<20, 1<<20
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &section{ra: bytes.NewReader(data), size: int64(len(data))}
		comp, err := sniffCompression(s)
		if err != nil {
			return
		}
		l := &layer{blob: s, comp: comp, desc: "fuzz"}
		b := newTreeBuilder(context.Background(), lim, newBudget(lim.maxNameBytes, "name bytes"))
		// Two layers: whiteouts and links then act across layers.
		if b.apply(0, l) != nil || b.apply(1, l) != nil {
			return
		}
		tg := &imageTarget{name: "fuzz", root: b.root, layers: []*layer{l, l}, spoolBudget: newBudget(lim.maxBytes, "spool bytes")}
		defer tg.Close()
		_ = tg.Walk(context.Background(), WalkOptions{}, func(fi FileInfo) error {
			if fi.Path == "" || strings.HasPrefix(fi.Path, "/") || Clean(fi.Path) != fi.Path {
				t.Fatalf("bad path %q", fi.Path)
			}
			if rc, err := tg.Open(fi.Path); err == nil {
				io.Copy(io.Discard, io.LimitReader(rc, 1<<20))
				rc.Close()
			}
			tg.ReadDir(fi.Path)
			return nil
		})
	})
}

func FuzzOpenImage(f *testing.F) {
	for _, c := range []imagebuild.Compression{imagebuild.None, imagebuild.Gzip} {
		var buf bytes.Buffer
		layers := []imagebuild.Layer{{Entries: []imagebuild.Entry{imagebuild.File("etc/x", "x", 0o644, 0, 0)}}}
		if err := imagebuild.WriteDockerArchive(&buf, layers, imagebuild.Options{Compression: c}); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		buf.Reset()
		if err := imagebuild.WriteOCIArchive(&buf, layers, imagebuild.Options{Compression: c}); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	dir := f.TempDir()
	lim := defaultImageLimits
	lim.maxEntries, lim.maxBytes, lim.maxNameBytes = 1000, 64<<20, 1<<20
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "img.tar")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		tg, err := openImage(context.Background(), p, lim, "")
		if err != nil {
			return
		}
		defer tg.Close()
		_ = tg.Walk(context.Background(), WalkOptions{}, func(fi FileInfo) error {
			if rc, err := tg.Open(fi.Path); err == nil {
				io.Copy(io.Discard, io.LimitReader(rc, 1<<20))
				rc.Close()
			}
			return nil
		})
	})
}

// rewriteTar copies a tar, letting edit change or drop members and add
// new ones at the end.
func rewriteTar(t *testing.T, src, dst string, edit func(h *tar.Header, body []byte) (*tar.Header, []byte), extra ...imagebuild.Entry) {
	t.Helper()
	in, err := os.Open(src)
	must(t, err)
	defer in.Close()
	writeTo(t, dst, func(w io.Writer) error {
		tr, tw := tar.NewReader(in), tar.NewWriter(w)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			must(t, err)
			body, err := io.ReadAll(tr)
			must(t, err)
			if h, body = edit(h, body); h == nil {
				continue
			}
			h.Size = int64(len(body))
			if h.Typeflag != tar.TypeReg {
				h.Size = 0
			}
			must(t, tw.WriteHeader(h))
			_, err = tw.Write(body)
			must(t, err)
		}
		for _, e := range extra {
			must(t, tw.WriteHeader(&e.Header))
			_, err := tw.Write(e.Body)
			must(t, err)
		}
		return tw.Close()
	})
}

func TestImageArchiveVariants(t *testing.T) {
	dir := t.TempDir()
	layers := []imagebuild.Layer{{Entries: []imagebuild.Entry{imagebuild.File("etc/os-release", "ID=alpine\n", 0o644, 0, 0)}}}
	classic := writeTo(t, filepath.Join(dir, "classic.tar"), func(w io.Writer) error {
		return imagebuild.WriteDockerArchive(w, layers, imagebuild.Options{})
	})
	oci := writeTo(t, filepath.Join(dir, "oci.tar"), func(w io.Writer) error {
		return imagebuild.WriteOCIArchive(w, layers, imagebuild.Options{Compression: imagebuild.Gzip})
	})
	var layerName string
	identity := func(h *tar.Header, b []byte) (*tar.Header, []byte) {
		if strings.HasSuffix(h.Name, "/layer.tar") {
			layerName = h.Name
		}
		return h, b
	}
	rewriteTar(t, classic, filepath.Join(dir, "scratch.tar"), identity)
	withManifest := func(layers string) func(h *tar.Header, b []byte) (*tar.Header, []byte) {
		return func(h *tar.Header, b []byte) (*tar.Header, []byte) {
			if h.Name == "manifest.json" {
				b = []byte(strings.Replace(string(b), `"Layers":["`+layerName+`"]`, `"Layers":`+layers, 1))
			}
			return h, b
		}
	}
	out := func(name string) string { return filepath.Join(dir, name) }

	// docker save shares identical layers through symlinked layer.tar
	// files; the config then lists the layer's diff ID twice.
	shared := withManifest(`["` + layerName + `","dup/layer.tar"]`)
	rewriteTar(t, classic, out("shared.tar"), func(h *tar.Header, b []byte) (*tar.Header, []byte) {
		if h.Name == "manifest.json" || digestOfName(h.Name) != "" {
			var v any
			must(t, json.Unmarshal(b, &v))
			if m, ok := v.([]any); ok { // manifest.json
				m[0].(map[string]any)["Config"] = "config.json"
			} else {
				rootfs := v.(map[string]any)["rootfs"].(map[string]any)
				ids := rootfs["diff_ids"].([]any)
				rootfs["diff_ids"] = append(ids, ids[0])
				h.Name = "config.json"
			}
			b, _ = json.Marshal(v)
		}
		return shared(h, b)
	}, imagebuild.Entry{Header: tar.Header{Name: "dup/layer.tar", Typeflag: tar.TypeSymlink, Linkname: "../" + layerName}})
	// tar -C layout -cf img.tar . names members "./index.json".
	rewriteTar(t, oci, out("dotslash.tar"), func(h *tar.Header, b []byte) (*tar.Header, []byte) {
		h.Name = "./" + h.Name
		return h, b
	})
	rewriteTar(t, classic, out("escape.tar"), withManifest(`["../../../../`+filepath.ToSlash(classic)+`"]`))
	rewriteTar(t, classic, out("symloop.tar"), withManifest(`["a/layer.tar"]`),
		imagebuild.Entry{Header: tar.Header{Name: "a/layer.tar", Typeflag: tar.TypeSymlink, Linkname: "../b/layer.tar"}},
		imagebuild.Entry{Header: tar.Header{Name: "b/layer.tar", Typeflag: tar.TypeSymlink, Linkname: "../a/layer.tar"}})
	rewriteTar(t, oci, out("baddigest.tar"), func(h *tar.Header, b []byte) (*tar.Header, []byte) {
		if h.Name == "index.json" {
			var ix map[string]any
			must(t, json.Unmarshal(b, &ix))
			ix["manifests"].([]any)[0].(map[string]any)["digest"] = "sha256:../../../etc/passwd"
			b, _ = json.Marshal(ix)
		}
		return h, b
	})
	// An OCI layout directory whose blob is a symlink to a file outside it.
	layout := out("layout")
	must(t, imagebuild.WriteOCILayout(layout, layers, imagebuild.Options{}))
	blobs, err := filepath.Glob(filepath.Join(layout, "blobs/sha256/*"))
	must(t, err)
	for _, b := range blobs {
		if fi, _ := os.Stat(b); fi.Size() > 1024 { // the layer, not JSON
			must(t, os.Remove(b))
			must(t, os.Symlink(classic, b))
		}
	}

	tests := []struct {
		name string
		path string
		ok   bool
	}{
		{"classic", classic, true},
		{"shared layer symlink", out("shared.tar"), true},
		{"dot-slash member names", out("dotslash.tar"), true},
		{"layer path escaping the archive", out("escape.tar"), false},
		{"layer symlink loop", out("symloop.tar"), false},
		{"digest with a path", out("baddigest.tar"), false},
		{"layout blob symlinked outside", layout, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := OpenImage(context.Background(), tc.path, ImageOptions{})
			if !tc.ok {
				if err == nil {
					tg.Close()
					t.Fatal("opened")
				}
				t.Log(err)
				return
			}
			must(t, err)
			defer tg.Close()
			if got := readString(t, tg, "etc/os-release"); got != "ID=alpine\n" {
				t.Fatalf("os-release %q", got)
			}
		})
	}
}

// memArchive serves members from memory, for fuzzing the manifest logic.
type memArchive map[string][]byte

func (m memArchive) member(name string) (*section, error) {
	b, ok := m[Clean(name)]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return &section{ra: bytes.NewReader(b), size: int64(len(b))}, nil
}

func (memArchive) Close() error { return nil }

// FuzzImageManifest feeds arbitrary index.json, manifest.json and blob
// contents to the image selection: it must fail cleanly or return layers
// that exist in the archive.
func FuzzImageManifest(f *testing.F) {
	var buf bytes.Buffer
	img := imagebuild.Image{Platform: imagebuild.Platform{OS: "linux", Architecture: "arm64"},
		Layers: []imagebuild.Layer{{Entries: []imagebuild.Entry{imagebuild.File("a", "a", 0o644, 0, 0)}}}}
	if err := imagebuild.WriteOCIIndexArchive(&buf, []imagebuild.Image{img}, imagebuild.Options{}); err != nil {
		f.Fatal(err)
	}
	seed := memArchive{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(tr)
		seed[Clean(h.Name)] = b
	}
	var blobs []string
	for name := range seed {
		if strings.HasPrefix(name, "blobs/") {
			blobs = append(blobs, name)
		}
	}
	slices.Sort(blobs)
	f.Add(seed["index.json"], []byte(`[{"Config":"c.json","Layers":["l/layer.tar"]}]`), 0, []byte(nil))
	f.Add([]byte(`{"manifests":[{"digest":"sha256:00"}]}`), []byte(nil), 1, []byte(`{"layers":[{"digest":"sha256:1"}]}`))
	f.Fuzz(func(t *testing.T, index, manifest []byte, blob int, blobBody []byte) {
		a := memArchive{}
		for k, v := range seed {
			a[k] = v
		}
		a["index.json"] = index
		if manifest != nil {
			a["manifest.json"] = manifest
		}
		if len(blobs) > 0 && blobBody != nil {
			a[blobs[(blob%len(blobs)+len(blobs))%len(blobs)]] = blobBody
		}
		layers, err := imageLayers(a, defaultImageLimits)
		if err != nil {
			return
		}
		for _, l := range layers {
			if l.blob == nil || l.blob.size < 0 {
				t.Fatalf("bad layer %+v", l)
			}
		}
	})
}
