package target

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"
)

// archive is the container of an image's files: a tar (docker save, OCI
// layout tar) or an OCI layout directory. Members are looked up by name;
// nothing is extracted.
type archive interface {
	member(name string) (*section, error)
	Close() error
}

const (
	maxArchiveMembers = 1 << 16
	maxJSONSize       = 4 << 20
	maxMemberLinks    = 8
)

// tarArchive indexes the members of an uncompressed tar file by name, with
// their data offsets, so layer blobs are read in place.
type tarArchive struct {
	f       *os.File
	members map[string]tarMember
}

type tarMember struct {
	off, size int64
	link      string // symlink or hard link member
	symlink   bool
}

func openTarArchive(ctx context.Context, f *os.File, names *budget) (*tarArchive, error) {
	a := &tarArchive{f: f, members: map[string]tarMember{}}
	tr := tar.NewReader(f)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		if len(a.members) >= maxArchiveMembers {
			return nil, fmt.Errorf("archive has more than %d members: %w", maxArchiveMembers, errImageLimit)
		}
		if len(h.Name) > maxMemberName || len(h.Linkname) > maxMemberName {
			return nil, fmt.Errorf("archive member name longer than %d bytes: %w", maxMemberName, errImageLimit)
		}
		if err := names.take(int64(len(h.Name) + len(h.Linkname))); err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
		name := Clean(h.Name)
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			off, err := f.Seek(0, io.SeekCurrent)
			if err != nil {
				return nil, fmt.Errorf("read archive: %w", err)
			}
			a.members[name] = tarMember{off: off, size: h.Size}
		case tar.TypeSymlink:
			// docker save shares identical layers through "../id/layer.tar".
			a.members[name] = tarMember{link: Clean(path.Join(path.Dir(name), h.Linkname)), symlink: true}
		case tar.TypeLink:
			a.members[name] = tarMember{link: Clean(h.Linkname)}
		}
	}
	if len(a.members) == 0 {
		return nil, errors.New("not a tar archive or an empty one")
	}
	return a, nil
}

func (a *tarArchive) member(name string) (*section, error) {
	name = Clean(name)
	for range maxMemberLinks {
		m, ok := a.members[name]
		if !ok {
			return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
		}
		if m.link == "" {
			return &section{ra: a.f, off: m.off, size: m.size}, nil
		}
		name = m.link
	}
	return nil, fmt.Errorf("%s: %w", name, ErrLoop)
}

// maxMemberName bounds names in the outer archive, which are kept in memory.
const maxMemberName = 4096

func (a *tarArchive) Close() error { return a.f.Close() }

// dirArchive is an OCI image layout directory; every open goes through an
// os.Root so a hostile layout cannot point outside it.
type dirArchive struct {
	root  *os.Root
	files []*os.File
}

func (a *dirArchive) member(name string) (*section, error) {
	f, err := openRegular(a.root, Clean(name))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	a.files = append(a.files, f)
	return &section{ra: f, off: 0, size: fi.Size()}, nil
}

func (a *dirArchive) Close() error {
	var err error
	for _, f := range a.files {
		err = errors.Join(err, f.Close())
	}
	return errors.Join(err, a.root.Close())
}

func readJSON(a archive, name string, v any) ([]byte, error) {
	s, err := a.member(name)
	if err != nil {
		return nil, err
	}
	if s.size > maxJSONSize {
		return nil, fmt.Errorf("%s: larger than %d bytes: %w", name, maxJSONSize, errImageLimit)
	}
	b, err := io.ReadAll(s.reader())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

// dockerManifest is one entry of docker save's manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// ociDescriptor, ociIndex and ociManifest are the parts of the OCI image
// spec (and the Docker v2 equivalents) cradle reads.
type ociDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *ociPlatform      `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type ociPlatform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant,omitempty"`
}

type ociIndex struct {
	MediaType string          `json:"mediaType"`
	Manifests []ociDescriptor `json:"manifests"`
	// Layers tells a manifest apart when the media type is missing.
	Layers []ociDescriptor `json:"layers"`
}

type ociManifest struct {
	MediaType string          `json:"mediaType"`
	Config    ociDescriptor   `json:"config"`
	Layers    []ociDescriptor `json:"layers"`
}

const (
	mtOCIIndex       = "application/vnd.oci.image.index.v1+json"
	mtOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	mtDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	maxIndexDepth    = 4
)

// digestRE is the OCI digest grammar; its parts become a blob path, so
// nothing here may contain a slash or be "..".
var digestRE = regexp.MustCompile(`^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$`)

func blobPath(digest string) (string, error) {
	m := digestRE.FindStringSubmatch(digest)
	if m == nil {
		return "", fmt.Errorf("invalid digest %q", digest)
	}
	return "blobs/" + m[1] + "/" + m[2], nil
}

// imageLayers finds the single image in the archive and returns its layers,
// oldest first.
func imageLayers(a archive, lim imageLimits) ([]*layer, error) {
	var dm []dockerManifest
	_, err := readJSON(a, "manifest.json", &dm)
	switch {
	case err == nil:
		return dockerLayers(a, dm, lim)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("docker archive: %w", err)
	}
	var idx ociIndex
	if _, err := readJSON(a, "index.json", &idx); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errors.New(`neither a "docker save" archive (manifest.json) nor an OCI image layout (index.json)`)
		}
		return nil, fmt.Errorf("OCI layout: %w", err)
	}
	man, err := pickManifest(a, idx, 0)
	if err != nil {
		return nil, fmt.Errorf("OCI layout: %w", err)
	}
	if len(man.Layers) > lim.maxLayers {
		return nil, fmt.Errorf("image has %d layers: %w", len(man.Layers), errImageLimit)
	}
	var out []*layer
	for _, d := range man.Layers {
		p, err := blobPath(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("OCI layout: layer: %w", err)
		}
		if err := checkLayerMediaType(d.MediaType); err != nil {
			return nil, fmt.Errorf("OCI layout: layer %s: %w", d.Digest, err)
		}
		s, err := a.member(p)
		if err != nil {
			if strings.Contains(d.MediaType, "nondistributable") || strings.Contains(d.MediaType, "foreign") {
				return nil, fmt.Errorf("OCI layout: foreign layer %s is not in the archive", d.Digest)
			}
			return nil, fmt.Errorf("OCI layout: layer %s: %w", d.Digest, err)
		}
		if d.Size > 0 && d.Size != s.size {
			return nil, fmt.Errorf("OCI layout: layer %s: size %d, descriptor says %d", d.Digest, s.size, d.Size)
		}
		l, err := newLayer(s, d.Digest, d.Digest, "")
		if err != nil {
			return nil, fmt.Errorf("OCI layout: %w", err)
		}
		out = append(out, l)
	}
	return out, nil
}

func newLayer(s *section, desc, digest, diffID string) (*layer, error) {
	comp, err := sniffCompression(s)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", desc, err)
	}
	return &layer{blob: s, comp: comp, desc: desc, digest: digest, diffID: diffID}, nil
}

// dockerConfig is the part of an image configuration cradle verifies
// layers against: the digests of their uncompressed tar streams.
type dockerConfig struct {
	RootFS struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

// digestOfName returns the digest a docker save member's name records:
// "blobs/<alg>/<hex>" (Docker 25+) or "<hex>.json" for the classic
// config; "" when the name records none (classic layer directories are
// named by legacy IDs, not digests).
func digestOfName(name string) string {
	name = Clean(name)
	if rest, ok := strings.CutPrefix(name, "blobs/"); ok {
		if alg, enc, ok := strings.Cut(rest, "/"); ok && !strings.Contains(enc, "/") {
			return alg + ":" + enc
		}
	}
	if enc, ok := strings.CutSuffix(name, ".json"); ok && len(enc) == 64 && isLowerHex(enc) {
		return "sha256:" + enc
	}
	return ""
}

func isLowerHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func dockerLayers(a archive, dm []dockerManifest, lim imageLimits) ([]*layer, error) {
	if len(dm) == 0 {
		return nil, errors.New("docker archive: manifest.json lists no image")
	}
	m := dm[0] // an archive of several images: the first, as "docker load" lists them
	if len(m.Layers) > lim.maxLayers {
		return nil, fmt.Errorf("image has %d layers: %w", len(m.Layers), errImageLimit)
	}
	var diffIDs []string
	if m.Config != "" {
		var cfg dockerConfig
		raw, err := readJSON(a, m.Config, &cfg)
		if err != nil {
			return nil, fmt.Errorf("docker archive: config: %w", err)
		}
		if d := digestOfName(m.Config); d != "" {
			if err := verifyDigest(d, raw); err != nil {
				return nil, fmt.Errorf("docker archive: config %s: %w", m.Config, err)
			}
		}
		diffIDs = cfg.RootFS.DiffIDs
		if diffIDs != nil && len(diffIDs) != len(m.Layers) {
			return nil, fmt.Errorf("docker archive: config lists %d layer diff IDs, manifest.json %d layers", len(diffIDs), len(m.Layers))
		}
	}
	var out []*layer
	for i, name := range m.Layers {
		s, err := a.member(name)
		if err != nil {
			return nil, fmt.Errorf("docker archive: layer: %w", err)
		}
		// A blob named by its digest is checked against it; otherwise the
		// uncompressed stream against the config's diff ID.
		digest, diffID := digestOfName(name), ""
		if digest == "" && diffIDs != nil {
			diffID = diffIDs[i]
		}
		l, err := newLayer(s, name, digest, diffID)
		if err != nil {
			return nil, fmt.Errorf("docker archive: %w", err)
		}
		out = append(out, l)
	}
	return out, nil
}

// digestHash returns the hash for an "alg:hex" digest, refusing algorithms
// cradle cannot verify and encodings of the wrong form.
func digestHash(d string) (hash.Hash, error) {
	alg, enc, _ := strings.Cut(d, ":")
	var h hash.Hash
	switch alg {
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		return nil, fmt.Errorf("digest %q: unsupported algorithm %q", d, alg)
	}
	if len(enc) != 2*h.Size() || !isLowerHex(enc) {
		return nil, fmt.Errorf("digest %q: not a %s digest", d, alg)
	}
	return h, nil
}

// checkSum compares what h hashed with digest d (already validated).
func checkSum(d string, h hash.Hash) error {
	_, enc, _ := strings.Cut(d, ":")
	if got := hex.EncodeToString(h.Sum(nil)); got != enc {
		alg, _, _ := strings.Cut(d, ":")
		return fmt.Errorf("%w: expected %s, got %s:%s", errDigestMismatch, d, alg, got)
	}
	return nil
}

func verifyDigest(d string, b []byte) error {
	h, err := digestHash(d)
	if err != nil {
		return err
	}
	h.Write(b)
	return checkSum(d, h)
}

// readBlobJSON reads a small JSON blob by digest and checks it against the
// digest, so an index cannot be swapped for another manifest.
func readBlobJSON(a archive, d ociDescriptor, v any) error {
	p, err := blobPath(d.Digest)
	if err != nil {
		return err
	}
	b, err := readJSON(a, p, v)
	if err != nil {
		return err
	}
	if err := verifyDigest(d.Digest, b); err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	return nil
}

// pickManifest descends image indexes to one manifest: linux/amd64 when
// the index offers several platforms, otherwise the first image.
// Attestation manifests (BuildKit's "unknown/unknown") are never images.
func pickManifest(a archive, idx ociIndex, depth int) (*ociManifest, error) {
	if depth > maxIndexDepth {
		return nil, fmt.Errorf("image indexes nested more than %d deep", maxIndexDepth)
	}
	var cands []ociDescriptor
	for _, d := range idx.Manifests {
		if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			continue
		}
		if d.Platform != nil && d.Platform.OS == "unknown" {
			continue
		}
		switch d.MediaType {
		case mtOCIIndex, mtDockerList, mtOCIManifest, mtDockerManifest, "":
			cands = append(cands, d)
		}
	}
	if len(cands) == 0 {
		return nil, errors.New("index lists no image manifest")
	}
	pick := cands[0]
	for _, d := range cands {
		if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == "amd64" {
			pick = d
			break
		}
	}
	var raw ociIndex
	if err := readBlobJSON(a, pick, &raw); err != nil {
		return nil, err
	}
	mt := pick.MediaType
	if raw.MediaType != "" {
		mt = raw.MediaType
	}
	if mt == mtOCIIndex || mt == mtDockerList || (mt == "" && raw.Manifests != nil && raw.Layers == nil) {
		return pickManifest(a, raw, depth+1)
	}
	if raw.Layers == nil && mt != mtOCIManifest && mt != mtDockerManifest {
		return nil, fmt.Errorf("manifest %s: unsupported media type %q (Docker schema 1 images are not supported)", pick.Digest, mt)
	}
	return &ociManifest{MediaType: mt, Layers: raw.Layers}, nil
}
