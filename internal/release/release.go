// Package release builds cradle's release artifacts from a git checkout:
// static binaries for linux/amd64, linux/arm64 and windows/amd64, .deb and
// .rpm packages of the linux binaries (with man pages and shell
// completions), an OCI image layout holding only the binary, and
// SHA256SUMS over all of them. Every input that could vary between two
// builds of one commit — paths, times, the host, the environment's Go
// settings — is fixed, so a rebuild gives identical bytes (docs/release.md).
//
// It is its own main package's library (cmd/cradle-release), so nfpm and
// go-containerregistry never enter the cradle binary.
package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Options configure a build.
type Options struct {
	// Dir is the module root of the checkout to build.
	Dir string
	// Out receives the artifacts; it must not exist or be empty.
	Out string
	// Snapshot allows an untagged or modified tree (docs/release.md).
	Snapshot bool
	// SourceDateEpoch overrides the commit time when not empty.
	SourceDateEpoch string
	// Go is the go command; "" means "go".
	Go string
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Artifact is one released file.
type Artifact struct {
	Name   string // file name in Out
	SHA256 string // hex
}

// Result lists what a build wrote.
type Result struct {
	Meta      Meta
	Artifacts []Artifact // sorted by name; SHA256SUMS lists exactly these
}

// SumsFile is the name of the checksum list ("sha256sum --check" format).
const SumsFile = "SHA256SUMS"

// BinaryName is the released file name of the binary for p.
func BinaryName(p Platform) string {
	n := "cradle-" + p.OS + "-" + p.Arch
	if p.OS == "windows" {
		n += ".exe"
	}
	return n
}

// ImageName is the released file name of the OCI image layout tar.
func ImageName(version string) string { return "cradle-" + imageTag(version) + ".oci.tar" }

// Build builds every artifact into o.Out and writes SHA256SUMS.
func Build(ctx context.Context, o Options) (*Result, error) {
	if o.Go == "" {
		o.Go = "go"
	}
	logf := func(format string, a ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", a...)
		}
	}
	m, err := Describe(ctx, o.Dir, o.Snapshot, o.SourceDateEpoch)
	if err != nil {
		return nil, err
	}
	logf("version %s, revision %s (modified %t), SOURCE_DATE_EPOCH %d", m.Version, m.Revision, m.Modified, m.Epoch.Unix())
	if err := emptyDir(o.Out); err != nil {
		return nil, err
	}
	license := filepath.Join(o.Dir, "LICENSE")
	if _, err := os.Stat(license); err != nil {
		return nil, fmt.Errorf("licence for the packages: %w", err)
	}

	linux := map[string]string{}
	for _, p := range Platforms {
		out := filepath.Join(o.Out, BinaryName(p))
		logf("build %s", p)
		if err := buildBinary(ctx, o.Go, o.Dir, p, m, out); err != nil {
			return nil, err
		}
		if p.OS == "linux" {
			linux[p.Arch] = out
		}
	}

	stage, err := os.MkdirTemp("", "cradle-release-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	logf("man pages and completions")
	docs, err := generateDocs(stage, m)
	if err != nil {
		return nil, err
	}
	for _, arch := range slices.Sorted(maps.Keys(linux)) {
		logf("packages linux/%s", arch)
		if _, err := buildPackages(o.Out, linux[arch], arch, license, docs, m); err != nil {
			return nil, err
		}
	}
	logf("OCI image")
	if err := buildImage(filepath.Join(o.Out, ImageName(m.Version)), linux, m); err != nil {
		return nil, err
	}

	res := &Result{Meta: m}
	if res.Artifacts, err = writeSums(o.Out); err != nil {
		return nil, err
	}
	return res, nil
}

// emptyDir creates dir, or accepts it if empty: a release never mixes
// with leftovers of another.
func emptyDir(dir string) error {
	if dir == "" {
		return errors.New("no output directory")
	}
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return err
	case len(ents) > 0:
		return fmt.Errorf("output directory %s is not empty", dir)
	}
	return nil
}

// writeSums hashes every file in dir and writes SHA256SUMS, sorted by name.
func writeSums(dir string) ([]Artifact, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var arts []Artifact
	var b strings.Builder
	for _, e := range ents {
		if !e.Type().IsRegular() || e.Name() == SumsFile {
			continue
		}
		sum, err := fileSHA256(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		arts = append(arts, Artifact{Name: e.Name(), SHA256: sum})
		fmt.Fprintf(&b, "%s  %s\n", sum, e.Name())
	}
	return arts, os.WriteFile(filepath.Join(dir, SumsFile), []byte(b.String()), 0o644)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
