package imagebuild

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// readTar returns the regular files of a tar by name, and all headers.
func readTar(t *testing.T, r io.Reader) (map[string][]byte, map[string]*tar.Header) {
	t.Helper()
	files, hdrs := map[string][]byte{}, map[string]*tar.Header{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, hdrs
		}
		must(t, err)
		hdrs[h.Name] = h
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			must(t, err)
			files[h.Name] = b
		}
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func testTree(t *testing.T) string {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "etc"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "etc/shadow"), []byte("root:*:1::::::\n"), 0o640))
	must(t, os.WriteFile(filepath.Join(dir, "etc/tool"), []byte("#!/bin/sh\n"), 0o755))
	must(t, os.Chmod(filepath.Join(dir, "etc/tool"), 0o755|os.ModeSetuid))
	must(t, os.Symlink("/etc/shadow", filepath.Join(dir, "etc/link")))
	if runtime.GOOS == "linux" {
		must(t, os.Link(filepath.Join(dir, "etc/tool"), filepath.Join(dir, "etc/tool2")))
		must(t, mkfifo(filepath.Join(dir, "etc/fifo")))
		if os.Geteuid() == 0 {
			must(t, os.Chown(filepath.Join(dir, "etc/shadow"), 0, 42))
		}
	}
	return dir
}

func TestLayerTar(t *testing.T) {
	s := newStore(Options{})
	defer s.cleanup()
	d, diff, err := s.addLayer(Layer{Dir: testTree(t), Entries: []Entry{Whiteout("/var/gone"), Opaque("opt/")}})
	must(t, err)
	if d.Digest != diff {
		t.Errorf("uncompressed layer: digest %s, diff ID %s", d.Digest, diff)
	}
	f, err := s.blobs[0].open()
	must(t, err)
	defer f.Close()
	files, hdrs := readTar(t, f)
	for name, want := range map[string]byte{
		"etc/": tar.TypeDir, "etc/shadow": tar.TypeReg, "etc/link": tar.TypeSymlink,
		"var/.wh.gone": tar.TypeReg, "opt/.wh..wh..opq": tar.TypeReg,
	} {
		if h := hdrs[name]; h == nil || h.Typeflag != want {
			t.Errorf("%s: %+v, want type %c", name, h, want)
		}
	}
	if string(files["etc/shadow"]) != "root:*:1::::::\n" || hdrs["etc/shadow"].Mode != 0o640 {
		t.Errorf("etc/shadow: %q mode %o", files["etc/shadow"], hdrs["etc/shadow"].Mode)
	}
	if hdrs["etc/tool"].Mode != 0o4755 || hdrs["etc/link"].Linkname != "/etc/shadow" {
		t.Errorf("tool mode %o, link %q", hdrs["etc/tool"].Mode, hdrs["etc/link"].Linkname)
	}
	if runtime.GOOS == "linux" {
		if h := hdrs["etc/tool2"]; h == nil || h.Typeflag != tar.TypeLink || h.Linkname != "etc/tool" {
			t.Errorf("hard link: %+v", h)
		}
		if h := hdrs["etc/fifo"]; h == nil || h.Typeflag != tar.TypeFifo {
			t.Errorf("fifo: %+v", h)
		}
		if os.Geteuid() == 0 && hdrs["etc/shadow"].Gid != 42 {
			t.Errorf("etc/shadow gid %d", hdrs["etc/shadow"].Gid)
		}
	}
}

// checkBlobs verifies every blobs/sha256/* member matches its name.
func checkBlobs(t *testing.T, files map[string][]byte) {
	t.Helper()
	n := 0
	for name, b := range files {
		if hexd, ok := strings.CutPrefix(name, "blobs/sha256/"); ok {
			n++
			if sha(b) != hexd {
				t.Errorf("%s: content digest %s", name, sha(b))
			}
		}
	}
	if n == 0 {
		t.Error("no blobs")
	}
}

func TestWriteDockerArchive(t *testing.T) {
	layers := []Layer{{Dir: testTree(t)}, {Entries: []Entry{Whiteout("etc/tool"), File("etc/motd", "hi", 0o644, 1, 2)}}}
	for _, tc := range []struct {
		name string
		opts Options
	}{{"classic", Options{}}, {"classic gzip", Options{Compression: Gzip}}, {"oci", Options{DockerOCI: true, Compression: Zstd}}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			must(t, WriteDockerArchive(&buf, layers, tc.opts))
			files, _ := readTar(t, &buf)
			var man []struct {
				Config   string
				RepoTags []string
				Layers   []string
			}
			must(t, json.Unmarshal(files["manifest.json"], &man))
			if len(man) != 1 || len(man[0].Layers) != 2 || man[0].RepoTags[0] != "cradle-test:latest" {
				t.Fatalf("manifest.json: %+v", man)
			}
			var cfg imageConfig
			must(t, json.Unmarshal(files[man[0].Config], &cfg))
			if cfg.OS != "linux" || len(cfg.RootFS.DiffIDs) != 2 {
				t.Fatalf("config: %+v", cfg)
			}
			for _, l := range man[0].Layers {
				if files[l] == nil {
					t.Fatalf("layer %s missing", l)
				}
			}
			if tc.opts.DockerOCI {
				checkBlobs(t, files)
				if files["index.json"] == nil || files["oci-layout"] == nil {
					t.Error("no index.json / oci-layout")
				}
			} else if files["repositories"] == nil {
				t.Error("no repositories file")
			}
			if tc.opts.Compression == Gzip {
				zr, err := gzip.NewReader(bytes.NewReader(files[man[0].Layers[1]]))
				must(t, err)
				got, _ := readTar(t, zr)
				if string(got["etc/motd"]) != "hi" {
					t.Errorf("second layer: %v", got)
				}
			}
		})
	}
}

func TestWriteOCILayout(t *testing.T) {
	dir := t.TempDir()
	must(t, WriteOCILayout(dir, DirLayers(testTree(t)), Options{Compression: Gzip, Tag: "x:1"}))
	files := map[string][]byte{}
	must(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return err
	}))
	checkBlobs(t, files)
	var ix index
	must(t, json.Unmarshal(files["index.json"], &ix))
	if len(ix.Manifests) != 1 || ix.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "x:1" {
		t.Fatalf("index: %+v", ix)
	}
	var m manifest
	must(t, json.Unmarshal(files["blobs/sha256/"+strings.TrimPrefix(ix.Manifests[0].Digest, "sha256:")], &m))
	if len(m.Layers) != 1 || m.Layers[0].MediaType != mtLayer+"+gzip" {
		t.Fatalf("manifest: %+v", m)
	}
}

func TestWriteOCIIndexArchive(t *testing.T) {
	var buf bytes.Buffer
	img := Image{Platform: Platform{OS: "linux", Architecture: "arm64"}, Layers: []Layer{{Entries: []Entry{File("a", "a", 0o644, 0, 0)}}}}
	must(t, WriteOCIIndexArchive(&buf, []Image{img}, Options{}))
	files, _ := readTar(t, &buf)
	checkBlobs(t, files)
	var outer, inner index
	must(t, json.Unmarshal(files["index.json"], &outer))
	if len(outer.Manifests) != 1 || outer.Manifests[0].MediaType != mtIndex {
		t.Fatalf("index.json: %+v", outer)
	}
	must(t, json.Unmarshal(files["blobs/sha256/"+strings.TrimPrefix(outer.Manifests[0].Digest, "sha256:")], &inner))
	if len(inner.Manifests) != 2 || inner.Manifests[0].Platform.Architecture != "arm64" || inner.Manifests[1].Platform.OS != "unknown" {
		t.Fatalf("nested index: %+v", inner)
	}
}
