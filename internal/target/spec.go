package target

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Spec names a target independently of any open handle: its kind and,
// for kinds that live in a file or directory, the absolute path. Its ID is
// the identity every piece of per-target state is keyed by (change log,
// fix runs, drift snapshots, waiver state), so it must never change for a
// target that already has state.
type Spec struct {
	Kind Kind
	// Path is absolute, slash-separated and symlink-resolved where it
	// exists (so two spellings of one target share their state); empty
	// for the host.
	Path string
	// Image says how an image is read (its bounds); not part of the
	// identity.
	Image ImageOptions
}

// KindInfo is what the rest of cradle needs to know of one kind of
// target. Adding a kind (a registry hive, a remote agent) is one entry in
// kinds and its opener: identity, state keys, the CLI flag and watching
// follow from it.
type KindInfo struct {
	Kind Kind
	// Prefix starts the identity ("root" gives "root:/srv/rootfs"); a kind
	// without a path has the prefix as its whole identity.
	Prefix string
	// HasPath: the spec names a file or directory.
	HasPath bool
	// Dir: the path is a directory tree whose files are the target's
	// files (fix can change them, a watcher can follow them).
	Dir bool
	// Label names the kind in messages ("root filesystem").
	Label string
	// Flag is the command-line flag giving the path ("root" for --root);
	// Usage describes its value for help.
	Flag, Usage string
	open        func(ctx context.Context, s Spec) (Target, error)
}

// kinds is the registry of target kinds, in the order they are described.
var kinds = []KindInfo{
	{Kind: KindHost, Prefix: "host", Label: "live host",
		open: func(context.Context, Spec) (Target, error) { return OpenHost() }},
	{Kind: KindRootFS, Prefix: "root", HasPath: true, Dir: true, Label: "root filesystem",
		Flag: "root", Usage: "the offline root filesystem at `DIR`",
		open: func(_ context.Context, s Spec) (Target, error) { return OpenRootFS(filepath.FromSlash(s.Path)) }},
	{Kind: KindImage, Prefix: "image", HasPath: true, Label: "container image",
		Flag: "image", Usage: "the container image archive `FILE` (docker save tar or OCI layout)",
		open: func(ctx context.Context, s Spec) (Target, error) {
			return OpenImage(ctx, filepath.FromSlash(s.Path), s.Image)
		}},
}

// Kinds lists the target kinds.
func Kinds() []KindInfo { return kinds }

func lookupKind(k Kind) (KindInfo, error) {
	for _, ki := range kinds {
		if ki.Kind == k {
			return ki, nil
		}
	}
	return KindInfo{}, fmt.Errorf("unknown target kind %q", k)
}

// Host is the spec of the live host.
func Host() Spec { return Spec{Kind: KindHost} }

// NewSpec names a target of kind k at path (ignored for the host): a
// relative path is made absolute and symlinks in an existing path are
// resolved. An empty path for a kind that needs one is an error, never
// the host.
func NewSpec(k Kind, path string) (Spec, error) {
	ki, err := lookupKind(k)
	if err != nil {
		return Spec{}, err
	}
	if !ki.HasPath {
		return Spec{Kind: k}, nil
	}
	if path == "" {
		return Spec{}, fmt.Errorf("%s: empty path", ki.Label)
	}
	a, err := filepath.Abs(path)
	if err != nil {
		return Spec{}, fmt.Errorf("target path %s: %w", path, err)
	}
	if r, err := filepath.EvalSymlinks(a); err == nil {
		a = r
	}
	return Spec{Kind: k, Path: filepath.ToSlash(a)}, nil
}

// ParseSpec parses an identity as ID returns it ("host", "root:/srv/rootfs",
// "image:/tmp/app.tar"). The path is taken as written: an identity is
// already absolute and resolved.
func ParseSpec(id string) (Spec, error) {
	prefix, path, hasPath := strings.Cut(id, ":")
	for _, ki := range kinds {
		if ki.Prefix != prefix || ki.HasPath != hasPath {
			continue
		}
		if hasPath && (path == "" || !strings.HasPrefix(path, "/") && !isWindowsAbs(path)) {
			return Spec{}, fmt.Errorf("target identity %q: path must be absolute", id)
		}
		return Spec{Kind: ki.Kind, Path: path}, nil
	}
	return Spec{}, fmt.Errorf("unknown target identity %q", id)
}

// isWindowsAbs accepts "C:/x" (ToSlash of a Windows absolute path).
func isWindowsAbs(p string) bool {
	return len(p) >= 3 && p[1] == ':' && p[2] == '/'
}

// ID is the target's stable identity: "host", "root:<path>" or
// "image:<path>".
func (s Spec) ID() string {
	ki, err := lookupKind(s.Kind)
	if err != nil {
		return string(s.Kind) + ":" + s.Path
	}
	if !ki.HasPath {
		return ki.Prefix
	}
	return ki.Prefix + ":" + s.Path
}

// Key is the identity as a filesystem-safe name for state files.
func (s Spec) Key() string { return KeyOf(s.ID()) }

// String is the identity.
func (s Spec) String() string { return s.ID() }

// IsHost reports whether the spec names the live host.
func (s Spec) IsHost() bool { return s.Kind == KindHost }

// Dir returns the directory holding the target's files on this machine
// ("/" for the host, the root filesystem's directory) and false for kinds
// whose files are not a directory tree (an image archive).
func (s Spec) Dir() (string, bool) {
	if s.Kind == KindHost {
		return string(filepath.Separator), true
	}
	ki, err := lookupKind(s.Kind)
	if err != nil || !ki.Dir {
		return "", false
	}
	return filepath.FromSlash(s.Path), true
}

// File returns the local path of a kind that lives in one file (an image
// archive or layout).
func (s Spec) File() (string, bool) {
	ki, err := lookupKind(s.Kind)
	if err != nil || !ki.HasPath || ki.Dir {
		return "", false
	}
	return filepath.FromSlash(s.Path), true
}

// Open opens the target read-only.
func (s Spec) Open(ctx context.Context) (Target, error) {
	ki, err := lookupKind(s.Kind)
	if err != nil {
		return nil, err
	}
	if ki.HasPath && s.Path == "" {
		return nil, errors.New(ki.Label + ": empty path")
	}
	return ki.open(ctx, s)
}

// KeyOf turns a target identity into a stable, filesystem-safe name: a
// readable slug of the identity plus 16 hex digits of its sha256 (the slug
// alone can collide, the hash cannot in practice). State already on disk
// is found by this name: it must not change.
func KeyOf(identity string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(identity) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 48 {
			break
		}
	}
	slug := strings.TrimSuffix(b.String(), "-")
	if slug == "" {
		slug = "target"
	}
	s := sha256.Sum256([]byte(identity))
	return slug + "-" + hex.EncodeToString(s[:8])
}
