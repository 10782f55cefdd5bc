package catalogers

import (
	"bytes"
	"context"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/cradle-cra/cradle/internal/target"
)

// Generic is the package URL type of software no package ecosystem
// names: a language runtime installed from a vendor's tarball.
const Generic = "generic"

// toolchains names language runtimes unpacked outside any package
// manager, from the facts they ship about themselves:
//
//   - a Java installation's "release" file (JAVA_RUNTIME_VERSION,
//     IMPLEMENTOR, SOURCE_REPO, written by every OpenJDK build): one
//     component pkg:generic/openjdk@RUNTIME_VERSION, supplied by the
//     implementor (Eclipse Adoptium, Amazon, Debian);
//   - a Rust toolchain's standard library (rustlib/*/lib/libstd-*.so,
//     rustup's layout): the compiler version in its ELF .comment section
//     ("rustc version 1.95.0 (59807616e 2026-04-14)"), one component
//     pkg:generic/rust@VERSION.
//
// A file a package database owns (Debian's openjdk-17-jre-headless ships
// its JVM's release file) is that package's, already listed: it is not
// listed again.
type toolchains struct {
	once  *sync.Once
	owned *ownedFiles
}

func newToolchains() toolchains { return toolchains{once: new(sync.Once), owned: new(ownedFiles)} }

func (toolchains) Name() string { return "toolchain" }

// maxRelease bounds a JVM release file (real ones are about 2 KB).
const maxRelease = 64 << 10

func (toolchains) Match(fi target.FileInfo) bool {
	base := path.Base(fi.Path)
	switch {
	case base == "release":
		return fi.Size > 0 && fi.Size <= maxRelease
	case strings.HasPrefix(base, "libstd-") && strings.HasSuffix(base, ".so"):
		return strings.Contains(fi.Path, "/rustlib/") && fi.Size <= MaxBinarySize
	}
	return false
}

func (c toolchains) Catalog(_ context.Context, f *File) ([]Package, error) {
	var p Package
	var ok bool
	if path.Base(f.Info.Path) == "release" {
		b, err := target.ReadFileLimit(f.t, f.Info.Path, maxRelease)
		if err != nil {
			return nil, err
		}
		p, ok = jvmRelease(b)
	} else {
		p, ok = rustStd(f)
	}
	if !ok {
		return nil, errNotMine
	}
	c.once.Do(func() { *c.owned = loadOwned(f.t) })
	if c.owned.err == nil && c.owned.isOwned(f.Info.Path) {
		return nil, nil
	}
	p.Key = p.PURL
	return []Package{p}, nil
}

// jvmRelease reads a JVM release file: KEY="value" lines.
func jvmRelease(b []byte) (Package, bool) {
	kv := map[string]string{}
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		k, v, ok := bytes.Cut(bytes.TrimSpace(line), []byte("="))
		if !ok || len(kv) >= 64 {
			continue
		}
		kv[string(k)] = strings.Trim(string(v), `"`)
	}
	version := kv["JAVA_RUNTIME_VERSION"]
	if version == "" {
		version = kv["JAVA_VERSION"]
	}
	if version == "" || strings.ContainsAny(version, " /") {
		return Package{}, false
	}
	var q map[string]string
	if repo := kv["SOURCE_REPO"]; strings.HasPrefix(repo, "https://") {
		q = map[string]string{"repository_url": repo}
	}
	p := Package{Ecosystem: Generic, Type: TypeApplication, Name: "openjdk", Version: version,
		PURL: purl(Generic, "", "openjdk", version, q), Supplier: kv["IMPLEMENTOR"]}
	for _, k := range []string{"JAVA_VERSION", "IMPLEMENTOR_VERSION", "IMAGE_TYPE", "JVM_VARIANT"} {
		if kv[k] != "" {
			p.Properties = append(p.Properties, Property{"java:release:" + k, kv[k]})
		}
	}
	return p, true
}

var rustcVersion = regexp.MustCompile(`rustc version (\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?) \(`)

// maxComment bounds the .comment section read (compiler identifications).
const maxComment = 64 << 10

// rustStd reads the compiler version from a Rust standard library's
// .comment section.
func rustStd(f *File) (Package, bool) {
	ef := f.ELF()
	if ef == nil {
		return Package{}, false
	}
	s := ef.Section(".comment")
	if s == nil || s.Size > maxComment {
		return Package{}, false
	}
	b, err := s.Data()
	if err != nil {
		return Package{}, false
	}
	v := rustcFromComment(b)
	if v == "" {
		return Package{}, false
	}
	return Package{Ecosystem: Generic, Type: TypeLibrary, Name: "rust", Version: v,
		PURL: purl(Generic, "", "rust", v, nil), Supplier: "The Rust Project",
		Properties: []Property{{"rust:component", "std"}}}, true
}

// rustcFromComment is the rustc version an ELF .comment section names.
func rustcFromComment(b []byte) string {
	if m := rustcVersion.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return ""
}
