// Package imagebuild writes container image archives from directory trees:
// "docker save" tarballs (classic and Docker 25+ OCI-based), OCI image
// layouts as a directory, and tars of them. Each layer is a tree plus extra
// raw tar entries (whiteouts, opaque markers, hostile names), so tests and
// the integration harness can build exactly the image they need without a
// container engine. Owners, modes, hard links, symlinks and device nodes of
// the source tree are preserved (on Linux).
package imagebuild

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/cradle-cra/cradle/internal/digest"
)

// Compression of layer blobs.
type Compression int

const (
	None Compression = iota
	Gzip
	Zstd
)

// Entry is a raw tar entry added to a layer after its tree.
type Entry struct {
	Header tar.Header
	Body   []byte
}

// Whiteout returns the entry that deletes p (root-relative) from lower
// layers.
func Whiteout(p string) Entry {
	dir, base := path.Split(strings.Trim(p, "/"))
	return Entry{Header: tar.Header{Name: dir + ".wh." + base, Typeflag: tar.TypeReg, Mode: 0o644}}
}

// Opaque returns the entry that hides everything lower layers put in dir.
func Opaque(dir string) Entry {
	d := strings.Trim(dir, "/")
	if d != "" {
		d += "/"
	}
	return Entry{Header: tar.Header{Name: d + ".wh..wh..opq", Typeflag: tar.TypeReg, Mode: 0o644}}
}

// File returns a regular file entry with the given content, owner and mode.
func File(name, body string, mode int64, uid, gid int) Entry {
	return Entry{Header: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode, Uid: uid, Gid: gid, Size: int64(len(body))}, Body: []byte(body)}
}

// Layer is one filesystem changeset: the tree under Dir (if set), then
// Entries verbatim.
type Layer struct {
	Dir     string
	Entries []Entry
}

// DirLayers makes one layer per directory.
func DirLayers(dirs ...string) []Layer {
	out := make([]Layer, len(dirs))
	for i, d := range dirs {
		out[i] = Layer{Dir: d}
	}
	return out
}

// Platform of an image in an index.
type Platform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant,omitempty"`
}

// Image is one platform's image of a multi-platform index.
type Image struct {
	Platform Platform
	Layers   []Layer
}

// Options shape the archive.
type Options struct {
	Compression Compression
	// Tag names the image (RepoTags, org.opencontainers.image.ref.name);
	// default "cradle-test:latest".
	Tag string
	// DockerOCI writes the Docker 25+ "docker save" layout: blobs/sha256/*
	// referenced from manifest.json, with index.json and oci-layout beside it.
	DockerOCI bool
	// TempDir holds layer blobs while the archive is written; default
	// os.TempDir().
	TempDir string
}

const (
	mtIndex    = "application/vnd.oci.image.index.v1+json"
	mtManifest = "application/vnd.oci.image.manifest.v1+json"
	mtConfig   = "application/vnd.oci.image.config.v1+json"
	mtLayer    = "application/vnd.oci.image.layer.v1.tar"
)

// Descriptor is an OCI content descriptor.
type Descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *Platform         `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type blob struct {
	desc Descriptor
	data []byte
	file string
}

// store collects blobs before they are written to a directory or a tar.
type store struct {
	opts  Options
	blobs []*blob
	seen  map[string]bool
	tmp   []string
}

func newStore(opts Options) *store {
	if opts.Tag == "" {
		opts.Tag = "cradle-test:latest"
	}
	return &store{opts: opts, seen: map[string]bool{}}
}

func (s *store) cleanup() {
	for _, f := range s.tmp {
		os.Remove(f)
	}
}

func (s *store) addBytes(mt string, b []byte) Descriptor {
	d := Descriptor{MediaType: mt, Digest: digest.SHA256(b), Size: int64(len(b))}
	if !s.seen[d.Digest] {
		s.seen[d.Digest] = true
		s.blobs = append(s.blobs, &blob{desc: d, data: b})
	}
	return d
}

func (s *store) addJSON(mt string, v any) (Descriptor, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Descriptor{}, err
	}
	return s.addBytes(mt, b), nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// addLayer writes the layer tar, compressed as asked, to a temp file and
// returns its descriptor and diff ID (digest of the uncompressed tar).
func (s *store) addLayer(l Layer) (Descriptor, string, error) {
	f, err := os.CreateTemp(s.opts.TempDir, "cradle-layer-*")
	if err != nil {
		return Descriptor{}, "", err
	}
	s.tmp = append(s.tmp, f.Name())
	defer f.Close()
	blobHash := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, blobHash)}
	var zw io.WriteCloser
	mt := mtLayer
	switch s.opts.Compression {
	case Gzip:
		zw, err = gzip.NewWriterLevel(cw, gzip.BestSpeed)
		mt += "+gzip"
	case Zstd:
		zw, err = zstd.NewWriter(cw, zstd.WithEncoderLevel(zstd.SpeedFastest))
		mt += "+zstd"
	default:
		zw = nopCloser{cw}
	}
	if err != nil {
		return Descriptor{}, "", err
	}
	// An uncompressed layer's diff ID is its digest: hash it once.
	diffHash, tarOut := blobHash, io.Writer(zw)
	if s.opts.Compression != None {
		diffHash = sha256.New()
		tarOut = io.MultiWriter(zw, diffHash)
	}
	bw := bufio.NewWriterSize(tarOut, 1<<20)
	tw := tar.NewWriter(bw)
	if l.Dir != "" {
		if err := writeTree(tw, l.Dir); err != nil {
			return Descriptor{}, "", err
		}
	}
	for _, e := range l.Entries {
		h := e.Header
		if h.Typeflag == tar.TypeReg && h.Size == 0 {
			h.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(&h); err != nil {
			return Descriptor{}, "", fmt.Errorf("entry %s: %w", h.Name, err)
		}
		if _, err := tw.Write(e.Body); err != nil {
			return Descriptor{}, "", fmt.Errorf("entry %s: %w", h.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return Descriptor{}, "", err
	}
	if err := bw.Flush(); err != nil {
		return Descriptor{}, "", err
	}
	if err := zw.Close(); err != nil {
		return Descriptor{}, "", err
	}
	if err := f.Close(); err != nil {
		return Descriptor{}, "", err
	}
	d := Descriptor{MediaType: mt, Digest: digest.Of(blobHash), Size: cw.n}
	if !s.seen[d.Digest] {
		s.seen[d.Digest] = true
		s.blobs = append(s.blobs, &blob{desc: d, file: f.Name()})
	}
	return d, digest.Of(diffHash), nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// writeTree archives dir in lexical order with Linux ownership, hard links
// as TypeLink to their first path, and no leading "./".
func writeTree(tw *tar.Writer, dir string) error {
	links := map[[2]uint64]string{}
	return filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		own := sysOwnership(fi)
		m := fi.Mode()
		h := &tar.Header{
			Name: rel, Mode: int64(m.Perm()), Uid: own.uid, Gid: own.gid,
			ModTime: fi.ModTime().Truncate(time.Second),
		}
		if m&fs.ModeSetuid != 0 {
			h.Mode |= 0o4000
		}
		if m&fs.ModeSetgid != 0 {
			h.Mode |= 0o2000
		}
		if m&fs.ModeSticky != 0 {
			h.Mode |= 0o1000
		}
		var body *os.File
		switch {
		case m.IsDir():
			h.Typeflag, h.Name = tar.TypeDir, rel+"/"
		case m.IsRegular():
			key := [2]uint64{own.dev, own.ino}
			if first, ok := links[key]; ok && own.nlink > 1 {
				h.Typeflag, h.Linkname = tar.TypeLink, first
				break
			}
			if own.nlink > 1 {
				links[key] = rel
			}
			h.Typeflag, h.Size = tar.TypeReg, fi.Size()
			if body, err = os.Open(p); err != nil {
				return err
			}
			defer body.Close()
		case m&fs.ModeSymlink != 0:
			h.Typeflag = tar.TypeSymlink
			if h.Linkname, err = os.Readlink(p); err != nil {
				return err
			}
		case m&fs.ModeCharDevice != 0:
			h.Typeflag, h.Devmajor, h.Devminor = tar.TypeChar, own.major, own.minor
		case m&fs.ModeDevice != 0:
			h.Typeflag, h.Devmajor, h.Devminor = tar.TypeBlock, own.major, own.minor
		case m&fs.ModeNamedPipe != 0:
			h.Typeflag = tar.TypeFifo
		default:
			return nil // sockets have no tar form
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if body != nil {
			n, err := io.Copy(tw, body)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if n != h.Size {
				return fmt.Errorf("%s: changed size while archiving", p)
			}
		}
		return nil
	})
}

type imageConfig struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
	Created      string `json:"created"`
	Config       struct {
		Env []string `json:"Env,omitempty"`
	} `json:"config"`
	RootFS struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

type manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        Descriptor   `json:"config"`
	Layers        []Descriptor `json:"layers"`
}

type index struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Manifests     []Descriptor `json:"manifests"`
}

// addImage stores an image's layers, config and manifest.
func (s *store) addImage(img Image) (man Descriptor, cfg Descriptor, layers []Descriptor, err error) {
	if img.Platform.OS == "" {
		img.Platform = Platform{OS: "linux", Architecture: "amd64"}
	}
	c := imageConfig{Architecture: img.Platform.Architecture, OS: img.Platform.OS, Variant: img.Platform.Variant,
		Created: "2024-01-01T00:00:00Z"}
	c.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	c.RootFS.Type = "layers"
	c.RootFS.DiffIDs = []string{}
	for _, l := range img.Layers {
		d, diff, err := s.addLayer(l)
		if err != nil {
			return Descriptor{}, Descriptor{}, nil, fmt.Errorf("layer %s: %w", l.Dir, err)
		}
		layers = append(layers, d)
		c.RootFS.DiffIDs = append(c.RootFS.DiffIDs, diff)
	}
	if cfg, err = s.addJSON(mtConfig, c); err != nil {
		return
	}
	m := manifest{SchemaVersion: 2, MediaType: mtManifest, Config: cfg, Layers: layers}
	if layers == nil {
		m.Layers = []Descriptor{}
	}
	if man, err = s.addJSON(mtManifest, m); err != nil {
		return
	}
	p := img.Platform
	man.Platform = &p
	return man, cfg, layers, nil
}

// ociFiles returns the layout's top-level files for an index of manifests.
func (s *store) ociFiles(manifests []Descriptor) (map[string][]byte, error) {
	ix, err := json.Marshal(index{SchemaVersion: 2, MediaType: mtIndex, Manifests: manifests})
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`),
		"index.json": ix,
	}, nil
}

func (s *store) singleOCI(layers []Layer) (map[string][]byte, error) {
	man, _, _, err := s.addImage(Image{Layers: layers})
	if err != nil {
		return nil, err
	}
	man.Annotations = map[string]string{"org.opencontainers.image.ref.name": s.opts.Tag}
	return s.ociFiles([]Descriptor{man})
}

// WriteOCILayout writes an OCI image layout of one linux/amd64 image into
// dir (created if missing).
func WriteOCILayout(dir string, layers []Layer, opts Options) error {
	s := newStore(opts)
	defer s.cleanup()
	files, err := s.singleOCI(layers)
	if err != nil {
		return err
	}
	return s.writeDir(dir, files)
}

// WriteOCIArchive writes the OCI image layout of one image as a tar.
func WriteOCIArchive(w io.Writer, layers []Layer, opts Options) error {
	s := newStore(opts)
	defer s.cleanup()
	files, err := s.singleOCI(layers)
	if err != nil {
		return err
	}
	return s.writeTar(w, files, "blobs/")
}

// WriteOCIIndexArchive writes a multi-platform OCI layout tar the way
// BuildKit exports one: index.json names a nested image index that lists
// one manifest per image plus an attestation manifest.
func WriteOCIIndexArchive(w io.Writer, images []Image, opts Options) error {
	s := newStore(opts)
	defer s.cleanup()
	var mans []Descriptor
	for _, img := range images {
		man, _, _, err := s.addImage(img)
		if err != nil {
			return err
		}
		mans = append(mans, man)
	}
	if len(mans) > 0 {
		att, _, _, err := s.addImage(Image{Platform: Platform{OS: "unknown", Architecture: "unknown"}})
		if err != nil {
			return err
		}
		att.Annotations = map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": mans[0].Digest}
		mans = append(mans, att)
	}
	inner, err := s.addJSON(mtIndex, index{SchemaVersion: 2, MediaType: mtIndex, Manifests: mans})
	if err != nil {
		return err
	}
	inner.Annotations = map[string]string{"org.opencontainers.image.ref.name": s.opts.Tag}
	files, err := s.ociFiles([]Descriptor{inner})
	if err != nil {
		return err
	}
	return s.writeTar(w, files, "blobs/")
}

type dockerEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// WriteDockerArchive writes what "docker save" writes for one image: by
// default the classic layout (<id>/layer.tar, <config>.json, manifest.json,
// repositories), with opts.DockerOCI the Docker 25+ one.
func WriteDockerArchive(w io.Writer, layers []Layer, opts Options) error {
	s := newStore(opts)
	defer s.cleanup()
	man, cfg, lds, err := s.addImage(Image{Layers: layers})
	if err != nil {
		return err
	}
	hexOf := digest.Hex
	ent := dockerEntry{RepoTags: []string{s.opts.Tag}}
	files := map[string][]byte{}
	blobPrefix := "blobs/"
	if s.opts.DockerOCI {
		ent.Config = "blobs/sha256/" + hexOf(cfg.Digest)
		for _, l := range lds {
			ent.Layers = append(ent.Layers, "blobs/sha256/"+hexOf(l.Digest))
		}
		man.Annotations = map[string]string{"io.containerd.image.name": "docker.io/library/" + s.opts.Tag,
			"org.opencontainers.image.ref.name": s.opts.Tag}
		if files, err = s.ociFiles([]Descriptor{man}); err != nil {
			return err
		}
	} else {
		// Classic layout: blobs are renamed; config and layers only.
		blobPrefix = ""
		ent.Config = hexOf(cfg.Digest) + ".json"
		renamed := map[string]string{cfg.Digest: ent.Config}
		for _, l := range lds {
			name := hexOf(l.Digest) + "/layer.tar"
			ent.Layers = append(ent.Layers, name)
			renamed[l.Digest] = name
		}
		var kept []*blob
		for _, b := range s.blobs {
			if name, ok := renamed[b.desc.Digest]; ok {
				b.desc.Annotations = map[string]string{"name": name}
				kept = append(kept, b)
			}
		}
		s.blobs = kept
		repo, tag, _ := strings.Cut(s.opts.Tag, ":")
		last := ""
		if len(lds) > 0 {
			last = hexOf(lds[len(lds)-1].Digest)
		}
		if files["repositories"], err = json.Marshal(map[string]map[string]string{repo: {tag: last}}); err != nil {
			return err
		}
	}
	if files["manifest.json"], err = json.Marshal([]dockerEntry{ent}); err != nil {
		return err
	}
	return s.writeTar(w, files, blobPrefix)
}

// blobName is where a blob lives in the archive.
func blobName(b *blob, prefix string) string {
	if prefix == "" {
		return b.desc.Annotations["name"]
	}
	return prefix + strings.Replace(b.desc.Digest, ":", "/", 1)
}

func (b *blob) open() (io.ReadCloser, error) {
	if b.file != "" {
		return os.Open(b.file)
	}
	return io.NopCloser(bytes.NewReader(b.data)), nil
}

var epoch = time.Unix(1704067200, 0) // fixed mtime for reproducible archives

func (s *store) writeTar(w io.Writer, files map[string][]byte, prefix string) error {
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	mkdirs := func(name string) error {
		var parts []string
		for d := path.Dir(name); d != "." && !dirs[d]; d = path.Dir(d) {
			parts = append(parts, d)
		}
		for i := len(parts) - 1; i >= 0; i-- {
			dirs[parts[i]] = true
			if err := tw.WriteHeader(&tar.Header{Name: parts[i] + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch}); err != nil {
				return err
			}
		}
		return nil
	}
	for _, b := range s.blobs {
		name := blobName(b, prefix)
		if err := mkdirs(name); err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: b.desc.Size, ModTime: epoch}); err != nil {
			return err
		}
		r, err := b.open()
		if err != nil {
			return err
		}
		_, err = io.Copy(tw, r)
		r.Close()
		if err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(files) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[name])), ModTime: epoch}); err != nil {
			return err
		}
		if _, err := tw.Write(files[name]); err != nil {
			return err
		}
	}
	return tw.Close()
}

func (s *store) writeDir(dir string, files map[string][]byte) error {
	for _, b := range s.blobs {
		p := filepath.Join(dir, filepath.FromSlash(blobName(b, "blobs/")))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := copyBlob(p, b); err != nil {
			return err
		}
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func copyBlob(dst string, b *blob) (err error) {
	r, err := b.open()
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	_, err = io.Copy(f, r)
	return err
}

func sortedKeys(m map[string][]byte) []string { return slices.Sorted(maps.Keys(m)) }
