package target

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/imagebuild"
)

// countingReaderAt counts the bytes read from a layer blob.
type countingReaderAt struct {
	ra io.ReaderAt
	n  atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.ra.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// TestImageLayerDecompressedOnce reads many files too large to be kept in
// memory from a compressed layer: the layer is decompressed once more for
// all of them together, not once per file, and the spool is an unnamed
// file that never shows in the temporary directory.
func TestImageLayerDecompressedOnce(t *testing.T) {
	const files = 40
	var entries []imagebuild.Entry
	for i := range files {
		body := strings.Repeat(fmt.Sprintf("%03d", i), int(defaultImageLimits.maxInline+10)/3)
		entries = append(entries, imagebuild.File(fmt.Sprintf("usr/lib/f%03d", i), body, 0o644, 0, 0))
	}
	// All zeros, last: spooled as a hole at the end of the spool.
	zeros := string(make([]byte, defaultImageLimits.maxInline+100<<10))
	entries = append(entries, imagebuild.File("usr/lib/zeros", zeros, 0o644, 0, 0))
	for _, c := range []imagebuild.Compression{imagebuild.Gzip, imagebuild.Zstd} {
		p := writeTo(t, filepath.Join(t.TempDir(), "img.tar"), func(w io.Writer) error {
			return imagebuild.WriteOCIArchive(w, []imagebuild.Layer{{Entries: entries}}, imagebuild.Options{Compression: c})
		})
		tmp := t.TempDir()
		tg, err := OpenImage(context.Background(), p, ImageOptions{TempDir: tmp})
		must(t, err)
		it := tg.(*imageTarget)
		blob := it.layers[0].blob
		cr := &countingReaderAt{ra: blob.ra}
		blob.ra = cr
		// Concurrently, as checks read, and backwards: the worst order for
		// re-reading.
		var wg sync.WaitGroup
		for i := files - 1; i >= 0; i-- {
			wg.Go(func() {
				b, err := ReadFile(tg, fmt.Sprintf("usr/lib/f%03d", i))
				if err != nil || !strings.HasPrefix(string(b), fmt.Sprintf("%03d", i)) || int64(len(b)) < defaultImageLimits.maxInline {
					t.Errorf("f%03d: %d bytes, %v", i, len(b), err)
				}
			})
		}
		wg.Wait()
		if b, err := ReadFile(tg, "usr/lib/zeros"); err != nil || string(b) != zeros {
			t.Fatalf("zeros: %d bytes, %v", len(b), err)
		}
		if got := cr.n.Load(); got > blob.size+64<<10 {
			t.Errorf("%v: read %d bytes of a %d byte layer for %d files: decompressed more than once", c, got, blob.size, files)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("spool visible in the temporary directory: %v", left)
		}
		must(t, tg.Close())
	}
}

// mutate rewrites an archive's members.
func mutate(t *testing.T, src string, edit func(h *tar.Header, b []byte) (*tar.Header, []byte)) string {
	dst := filepath.Join(t.TempDir(), "mut.tar")
	rewriteTar(t, src, dst, edit)
	return dst
}

func isLayerBlob(h *tar.Header, b []byte) bool {
	return (strings.HasPrefix(h.Name, "blobs/") || strings.HasSuffix(h.Name, "/layer.tar")) && len(b) > 0 && b[0] != '{'
}

// flipLast changes the last non-zero byte of a layer: for an
// uncompressed layer that is file content, so the tar still parses.
func flipLast(h *tar.Header, b []byte) (*tar.Header, []byte) {
	if isLayerBlob(h, b) {
		b = bytes.Clone(b)
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != 0 {
				b[i] ^= 0x20
				break
			}
		}
	}
	return h, b
}

func TestImageDigests(t *testing.T) {
	dir := t.TempDir()
	layers := []imagebuild.Layer{{Entries: []imagebuild.Entry{imagebuild.File("etc/os-release", "ID=alpine\n", 0o644, 0, 0)}}}
	write := func(name string, fn func(io.Writer) error) string {
		return writeTo(t, filepath.Join(dir, name), fn)
	}
	classic := write("classic.tar", func(w io.Writer) error { return imagebuild.WriteDockerArchive(w, layers, imagebuild.Options{}) })
	dockerOCI := write("docker-oci.tar", func(w io.Writer) error {
		return imagebuild.WriteDockerArchive(w, layers, imagebuild.Options{DockerOCI: true})
	})
	oci := write("oci.tar", func(w io.Writer) error { return imagebuild.WriteOCIArchive(w, layers, imagebuild.Options{}) })
	ociGz := write("oci-gz.tar", func(w io.Writer) error {
		return imagebuild.WriteOCIArchive(w, layers, imagebuild.Options{Compression: imagebuild.Gzip})
	})
	// The config of a classic archive is named by its digest; once edited
	// it no longer matches.
	badConfig := mutate(t, classic, func(h *tar.Header, b []byte) (*tar.Header, []byte) {
		if digestOfName(h.Name) != "" {
			b = bytes.Replace(b, []byte(`"os":"linux"`), []byte(`"os":"LINUX"`), 1)
		}
		return h, b
	})
	// Only the layer changes: its diff ID (classic) or blob digest no
	// longer matches.
	tests := []struct {
		name string
		path string
		want string
	}{
		{"docker classic layer", mutate(t, classic, flipLast), "uncompressed content does not match its digest"},
		{"docker OCI layer", mutate(t, dockerOCI, flipLast), "content does not match its digest"},
		{"OCI layer", mutate(t, oci, flipLast), "content does not match its digest"},
		{"OCI compressed layer", mutate(t, ociGz, func(h *tar.Header, b []byte) (*tar.Header, []byte) {
			if isLayerBlob(h, b) {
				b = bytes.Clone(b)
				b[len(b)-8] ^= 1 // in the gzip trailer's CRC: still decompresses
			}
			return h, b
		}), "content does not match its digest"},
		{"docker classic config", badConfig, "config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { refused(t, tc.path, tc.want, "digest") })
	}
	for _, p := range []string{classic, dockerOCI, oci, ociGz} {
		tg, err := OpenImage(context.Background(), p, ImageOptions{})
		must(t, err)
		tg.Close()
	}
}

func TestImageCompressionRefused(t *testing.T) {
	dir := t.TempDir()
	layers := []imagebuild.Layer{{Entries: []imagebuild.Entry{imagebuild.File("etc/os-release", "ID=alpine\n", 0o644, 0, 0)}}}
	oci := writeTo(t, filepath.Join(dir, "oci.tar"), func(w io.Writer) error {
		return imagebuild.WriteOCIArchive(w, layers, imagebuild.Options{})
	})
	xzMagic := []byte{0xfd, '7', 'z', 'X', 'Z', 0}
	// Replace the layer with xz-looking bytes and fix up its descriptor, so
	// only the compression is wrong.
	withLayer := func(body []byte, mediaType string) string {
		var oldDigest string
		out := mutate(t, oci, func(h *tar.Header, b []byte) (*tar.Header, []byte) {
			if isLayerBlob(h, b) {
				oldDigest = "sha256:" + filepath.Base(h.Name)
				sum := sha256Hex(body)
				h.Name = "blobs/sha256/" + sum
				return h, body
			}
			return h, b
		})
		// Second pass: rewrite the manifest to point at the new blob.
		sum := sha256Hex(body)
		var manDigest string
		out2 := mutate(t, out, func(h *tar.Header, b []byte) (*tar.Header, []byte) {
			if strings.HasPrefix(h.Name, "blobs/") && bytes.Contains(b, []byte(oldDigest)) {
				var m map[string]any
				must(t, json.Unmarshal(b, &m))
				if m["layers"] == nil {
					return h, b // the config: its diff ID is the old digest
				}
				l := m["layers"].([]any)[0].(map[string]any)
				l["digest"], l["size"] = "sha256:"+sum, len(body)
				if mediaType != "" {
					l["mediaType"] = mediaType
				}
				b, _ = json.Marshal(m)
				manDigest = sha256Hex(b)
				h.Name = "blobs/sha256/" + manDigest
			}
			return h, b
		})
		return mutate(t, out2, func(h *tar.Header, b []byte) (*tar.Header, []byte) {
			if h.Name == "index.json" {
				var m map[string]any
				must(t, json.Unmarshal(b, &m))
				d := m["manifests"].([]any)[0].(map[string]any)
				d["digest"] = "sha256:" + manDigest
				b, _ = json.Marshal(m)
			}
			return h, b
		})
	}
	tests := []struct {
		name, path, want string
	}{
		{"xz layer", withLayer(append(xzMagic, bytes.Repeat([]byte{1}, 600)...), ""), "xz"},
		{"xz media type", withLayer(append(xzMagic, bytes.Repeat([]byte{1}, 600)...), "application/vnd.oci.image.layer.v1.tar+xz"), "tar+xz"},
		{"unknown compression", withLayer(bytes.Repeat([]byte("LZIP"), 200), ""), "4c 5a 49 50"},
		{"not a layer", withLayer([]byte("\x00asm"), "application/vnd.wasm.content.layer.v1+wasm"), "wasm"},
	}
	var xzArchive bytes.Buffer
	xzArchive.Write(xzMagic)
	xzArchive.Write(bytes.Repeat([]byte{7}, 1000))
	xzPath := filepath.Join(dir, "img.tar.xz")
	must(t, os.WriteFile(xzPath, xzArchive.Bytes(), 0o644))
	tests = append(tests, struct{ name, path, want string }{"xz archive", xzPath, "xz"})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { t.Log(refused(t, tc.path, tc.want)) })
	}
}

// refused opens the image at p with the default limits and requires an
// error that names every string in want.
func refused(t *testing.T, p string, want ...string) error {
	t.Helper()
	tg, err := OpenImage(context.Background(), p, ImageOptions{})
	if err == nil {
		tg.Close()
		t.Fatal("opened")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("err = %v, want it to name %q", err, w)
		}
	}
	return err
}

func TestImageFIFORefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscallMkfifo(p); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() {
		tg, err := OpenImage(context.Background(), p, ImageOptions{})
		if err == nil {
			tg.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "FIFO") {
			t.Fatalf("err = %v, want a FIFO refused", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OpenImage blocked on a FIFO")
	}
}

func TestImageLimitsAndCancel(t *testing.T) {
	var entries []imagebuild.Entry
	for i := range 50 {
		entries = append(entries, imagebuild.File(fmt.Sprintf("etc/%s%d", strings.Repeat("n", 100), i), strings.Repeat("x", 4096), 0o644, 0, 0))
	}
	p := writeTo(t, filepath.Join(t.TempDir(), "img.tar.gz"), func(w io.Writer) error {
		zw := gzip.NewWriter(w)
		if err := imagebuild.WriteDockerArchive(zw, []imagebuild.Layer{{Entries: entries}, {Entries: entries}}, imagebuild.Options{}); err != nil {
			return err
		}
		return zw.Close()
	})
	tests := []struct {
		name string
		lim  ImageLimits
		want string
	}{
		{"bytes", ImageLimits{MaxBytes: 300 << 10}, "bytes of decompressed layers"},
		{"archive bytes", ImageLimits{MaxBytes: 64 << 10}, "bytes in temporary files"},
		{"names", ImageLimits{MaxNameBytes: 8 << 10}, "bytes of entry names"},
		{"entries", ImageLimits{MaxEntries: 60}, "entries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := OpenImage(context.Background(), p, ImageOptions{Limits: tc.lim})
			if err == nil {
				tg.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, ErrImageLimit) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a limit on %s", err, tc.want)
			}
		})
	}
	tg, err := OpenImage(context.Background(), p, ImageOptions{Limits: ImageLimits{MaxBytes: 1 << 20, MaxEntries: 200, MaxNameBytes: 64 << 10}})
	must(t, err)
	tg.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := OpenImage(ctx, p, ImageOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled open: %v", err)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
