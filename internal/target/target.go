// Package target gives every check one read-only view of the system under
// evaluation — the live host, an offline root filesystem or a container
// image — with all paths relative to the target root and every symlink
// resolved inside that root (chroot semantics), so a hostile tree cannot make
// cradle read the scanning host's files.
package target

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
)

// Kind names the sort of target.
type Kind string

const (
	KindHost   Kind = "host"
	KindRootFS Kind = "rootfs"
	KindImage  Kind = "image"
)

// FileInfo is the metadata cradle needs of one file, independent of the
// backend that produced it.
type FileInfo struct {
	Path    string      // root-relative, slash-separated, "" for the root itself
	Mode    fs.FileMode // type and permission bits (setuid/setgid/sticky included)
	UID     uint32
	GID     uint32
	Size    int64
	ModTime time.Time
	// ChangeTime is the inode change time (st_ctime) where the backend
	// knows it (directory targets on Linux); zero otherwise.
	ChangeTime time.Time
	Nlink      uint64
	Dev        uint64
	Ino        uint64
	Link       string // symlink target, when Mode is a symlink
}

// DirEntry is one name in a directory listing.
type DirEntry struct {
	Name string
	Type fs.FileMode // type bits only
}

// WalkOptions bounds a filesystem-wide walk.
type WalkOptions struct {
	// Skip lists root-relative directory prefixes not to descend into.
	Skip []string
	// LocalOnly keeps a live-host walk on local, persistent filesystems
	// (no proc, sysfs, tmpfs, network or FUSE mounts).
	LocalOnly bool
	// Workers bounds parallelism; <= 0 picks a default.
	Workers int
	// OnError, when set, receives entries that could not be read
	// (permission denied, I/O errors); the walk goes on unless it returns
	// an error. Entries that vanish during a live walk are not reported.
	OnError func(path string, err error) error
	// Prune, when set, is asked about each directory below the root
	// (never the root itself) once it is open and before any of its
	// entries are reported; a non-empty reason keeps the walk out of it.
	// The directory itself has already been reported. The probe is valid
	// only during the call; Prune may be called from several goroutines.
	Prune func(dir string, probe DirProbe) (reason string)
	// Regular, when set, receives the regular files instead of fn where
	// the backend can open them during the walk (directory targets on
	// Linux): opened relative to their directory's descriptor by name,
	// never following a symlink, non-blocking and without updating the
	// access time where allowed, and described by fstat of the open file.
	// That is one path lookup and one system call less per file than a
	// stat during the walk and an open by path afterwards. The callee owns
	// f and must close it. An entry that cannot be opened so, or is no
	// longer a regular file when opened, goes to fn as usual.
	Regular func(fi FileInfo, f BulkFile) error
}

// DirProbe answers questions about a directory the walk is about to
// enter, cheaply: Has from the listing already read, Lstat with one
// system call per path component.
type DirProbe interface {
	// Has reports whether the directory lists name, with its type bits
	// (fs.ModeIrregular when the filesystem does not say). Only the first block of a
	// listing is consulted (hundreds of names): a directory with more
	// entries than that is not what a probe looks for.
	Has(name string) (typ fs.FileMode, ok bool)
	// Lstat stats rel, a slash-separated path below the directory,
	// following no symlink in any component.
	Lstat(rel string) (FileInfo, error)
}

// WalkFunc receives each entry, the root ("") included, in no particular
// order; it may be called from several goroutines at once.
type WalkFunc func(fi FileInfo) error

// Target is the read-only, root-confined view every collector uses.
type Target interface {
	Kind() Kind
	// Name describes the target for reports ("/" , a directory, an image file).
	Name() string
	// Live reports whether runtime state (/proc, /sys) belongs to the
	// running system being evaluated.
	Live() bool
	Open(name string) (io.ReadCloser, error)
	Stat(name string) (FileInfo, error)
	Lstat(name string) (FileInfo, error)
	ReadDir(name string) ([]DirEntry, error)
	Readlink(name string) (string, error)
	Walk(ctx context.Context, opts WalkOptions, fn WalkFunc) error
	Close() error
}

// MaxReadSize bounds ReadFile: configuration files are small, and a hostile
// target must not exhaust memory.
const MaxReadSize = 16 << 20

// ErrTooLarge is returned by ReadFile for files over MaxReadSize.
var ErrTooLarge = errors.New("file exceeds read limit")

// ReadFile reads a whole file through t, bounded by MaxReadSize.
func ReadFile(t Target, name string) ([]byte, error) {
	return ReadFileLimit(t, name, MaxReadSize)
}

// ReadFileLimit reads a whole file through t, refusing one over limit
// bytes with a *fs.PathError wrapping ErrTooLarge. Every bounded read of
// target content goes through it.
func ReadFileLimit(t Target, name string, limit int64) ([]byte, error) {
	rc, err := t.Open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return ReadAllLimit(rc, name, limit)
}

// ReadAllLimit reads an open file of t to the end, bounded like
// ReadFileLimit; name is the root-relative path, for errors.
func ReadAllLimit(r io.Reader, name string, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: Abs(name), Err: err}
	}
	if int64(len(b)) > limit {
		return nil, &fs.PathError{Op: "read", Path: Abs(name), Err: ErrTooLarge}
	}
	return b, nil
}

// Exists reports whether name exists (following symlinks inside the root).
func Exists(t Target, name string) bool {
	_, err := t.Stat(name)
	return err == nil
}

// Glob returns the sorted root-relative paths in dir whose base name
// matches pattern (path.Match syntax). A missing dir yields no matches.
func Glob(t Target, dir, pattern string) ([]string, error) {
	ents, err := t.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, e := range ents {
		ok, err := path.Match(pattern, e.Name)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, path.Join(Clean(dir), e.Name))
		}
	}
	return out, nil
}

// Clean turns "/etc/../etc/passwd", "etc/passwd" or "./etc/passwd" into the
// canonical root-relative form "etc/passwd" ("" for the root). It is purely
// lexical; symlinks are resolved by the backends. Target paths are POSIX
// paths on every host: a backslash is an ordinary name character (systemd
// escapes such as "system-systemd\x2dcryptsetup.slice" rely on it).
func Clean(name string) string {
	c := path.Clean("/" + name)
	return strings.TrimPrefix(c, "/")
}

// Abs renders a root-relative path the way users write it: "/etc/passwd".
func Abs(name string) string {
	return "/" + Clean(name)
}
