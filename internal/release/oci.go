package release

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image facts the tests and docs rely on.
const (
	ImageBinary = "/usr/bin/cradle"
	// ImageUser is the conventional unprivileged "nonroot" id; scanning a
	// host's or a mounted tree's root-only files needs --user 0.
	ImageUser = "65532:65532"
)

// buildImage writes an OCI image layout as a tar to out: index.json names
// one multi-platform index (annotated with the version) over one image per
// linux binary in bins (by GOARCH). Each image is one layer holding only
// the binary, with the binary as entrypoint.
func buildImage(out string, bins map[string]string, m Meta) error {
	created := v1.Time{Time: m.Epoch}
	platforms := idx(empty.Index)
	arches := slices.Sorted(maps.Keys(bins))
	for _, arch := range arches {
		img, err := binaryImage(bins[arch], arch, m)
		if err != nil {
			return fmt.Errorf("image %s: %w", arch, err)
		}
		p := &v1.Platform{OS: "linux", Architecture: arch}
		if arch == "arm64" {
			p.Variant = "v8"
		}
		platforms = mutate.AppendManifests(platforms, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: p}})
	}
	top := mutate.AppendManifests(idx(empty.Index), mutate.IndexAddendum{Add: platforms,
		Descriptor: v1.Descriptor{Annotations: map[string]string{
			"org.opencontainers.image.ref.name": imageTag(m.Version),
			"org.opencontainers.image.created":  created.Format("2006-01-02T15:04:05Z"),
		}}})
	dir, err := os.MkdirTemp(filepath.Dir(out), ".oci-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if _, err := layout.Write(dir, top); err != nil {
		return fmt.Errorf("OCI layout: %w", err)
	}
	return tarDir(out, dir, m)
}

func idx(i v1.ImageIndex) v1.ImageIndex { return mutate.IndexMediaType(i, types.OCIImageIndex) }

// imageTag is the version as a valid image tag ("+" is not allowed there).
func imageTag(v string) string { return strings.ReplaceAll(v, "+", "-") }

func binaryImage(bin, arch string, m Meta) (v1.Image, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	var lt bytes.Buffer
	tw := tar.NewWriter(&lt)
	for _, h := range []*tar.Header{
		{Name: "usr/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "usr/bin/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: strings.TrimPrefix(ImageBinary, "/"), Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(data))},
	} {
		h.ModTime, h.Format = m.Epoch, tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	layerBytes := lt.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	created := v1.Time{Time: m.Epoch}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, MediaType: types.OCILayer,
		History: v1.History{Created: created, CreatedBy: "cradle-release: " + ImageBinary, Comment: "cradle " + m.Version}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Created, cf.OS, cf.Architecture = created, "linux", arch
	if arch == "arm64" {
		cf.Variant = "v8"
	}
	cf.Config = v1.Config{
		Entrypoint: []string{ImageBinary},
		User:       ImageUser,
		Env:        []string{"PATH=/usr/bin"},
		Labels: map[string]string{
			"org.opencontainers.image.title":    "cradle",
			"org.opencontainers.image.version":  m.Version,
			"org.opencontainers.image.revision": m.Revision,
			"org.opencontainers.image.created":  created.Format("2006-01-02T15:04:05Z"),
			"org.opencontainers.image.source":   homepage,
			"org.opencontainers.image.licenses": "Apache-2.0",
		},
	}
	return mutate.ConfigFile(img, cf)
}

// tarDir writes the tree at dir as a tar to out in name order, with fixed
// owners, modes and times, so equal trees give equal bytes.
func tarDir(out, dir string, m Meta) error {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			rel += "/"
		}
		names = append(names, rel)
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(names)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	err = func() error {
		for _, n := range names {
			h := &tar.Header{Name: n, ModTime: m.Epoch, Format: tar.FormatPAX, Typeflag: tar.TypeDir, Mode: 0o755}
			var body []byte
			if !strings.HasSuffix(n, "/") {
				b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
				if err != nil {
					return err
				}
				h.Typeflag, h.Mode, h.Size, body = tar.TypeReg, 0o644, int64(len(b)), b
			}
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			if _, err := tw.Write(body); err != nil {
				return err
			}
		}
		return tw.Close()
	}()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
