//go:build linux

package journal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// Target access. Paths were symlink-free when the fix was planned, but a
// user who can write to a directory in the target can swap a directory for
// a symlink at any time. So no target path is ever resolved through a
// symlink: the directory holding a path is opened component by component
// without following any (openat2 RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH, or an
// O_NOFOLLOW openat walk where openat2 is unavailable), and every operation
// then works on the final name relative to that directory with the *at
// system calls, never following a final symlink either.

// errSymlink reports a symlink where a directory was expected.
var errSymlink = errors.New("is a symlink (refusing to follow it)")

// tree is the target root, opened once.
type tree struct {
	fd int // O_PATH
}

// openTree opens the target root once, without following a symlink at
// root itself, and, when pin is given, only if it is still the directory
// the plan was made against: a root renamed away and replaced by a
// symlink or another directory since (by whoever can write its parent)
// is refused before anything is written anywhere. Everything afterwards
// goes through the one descriptor.
func openTree(root string, pin *remedy.RootID) (*tree, error) {
	root = filepath.Clean(root) // a trailing slash would follow a final symlink
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		var st unix.Stat_t
		if unix.Lstat(root, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
			return nil, fmt.Errorf("%w: %s is a symlink (give the directory itself)", ErrRootChanged, root)
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: root, Err: err}
	}
	if pin != nil {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return nil, &fs.PathError{Op: "stat", Path: root, Err: err}
		}
		if got := (remedy.RootID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}); got != *pin {
			unix.Close(fd)
			return nil, fmt.Errorf("%w: %s is not the directory the plan was made against (device:inode %d:%d, planned %d:%d); plan again",
				ErrRootChanged, root, got.Dev, got.Ino, pin.Dev, pin.Ino)
		}
	}
	return &tree{fd: fd}, nil
}

func (t *tree) Close() error { return unix.Close(t.fd) }

// dir is a directory of the target opened without following symlinks.
type dir struct {
	fd  int    // O_PATH
	rel string // root-relative, for messages
}

func (d *dir) Close() error { return unix.Close(d.fd) }

// abs names an entry of d in messages.
func (d *dir) abs(name string) string { return target.Abs(path.Join(d.rel, name)) }

// noOpenat2 is set once openat2 turned out to be unavailable (old kernel,
// or a seccomp filter that rejects it).
var noOpenat2 atomic.Bool

// openDir opens the directory rel (root-relative, clean) without following
// a symlink in any of its components.
func (t *tree) openDir(rel string) (*dir, error) {
	rel = target.Clean(rel)
	if rel == "" {
		rel = "."
	}
	if rel == "." {
		fd, err := unix.Openat(t.fd, ".", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: "/", Err: err}
		}
		return &dir{fd: fd, rel: "."}, nil
	}
	if !noOpenat2.Load() {
		fd, err := unix.Openat2(t.fd, rel, &unix.OpenHow{
			Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_BENEATH,
		})
		if err == nil {
			return &dir{fd: fd, rel: rel}, nil
		}
		if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
			noOpenat2.Store(true)
		}
		// Any other failure: the walk below says which component failed
		// and why.
	}
	return t.walkDir(rel)
}

// walkDir opens rel one component at a time with O_NOFOLLOW.
func (t *tree) walkDir(rel string) (*dir, error) {
	fd, err := unix.Openat(t.fd, ".", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: "/", Err: err}
	}
	done := ""
	for _, c := range strings.Split(rel, "/") {
		cur := path.Join(done, c)
		if c == "" || c == "." || c == ".." {
			unix.Close(fd)
			return nil, fmt.Errorf("%s: invalid path", target.Abs(rel))
		}
		nfd, err := unix.Openat(fd, c, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
			var st unix.Stat_t
			if unix.Fstatat(fd, c, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
				err = errSymlink
			}
		}
		unix.Close(fd)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: target.Abs(cur), Err: err}
		}
		fd, done = nfd, cur
	}
	return &dir{fd: fd, rel: rel}, nil
}

// parent opens the directory holding p and returns it with p's final name.
func (t *tree) parent(p string) (*dir, string, error) {
	p = target.Clean(p)
	if p == "" || p == "." {
		return nil, "", errors.New("the target root has no parent")
	}
	d, err := t.openDir(path.Dir(p))
	if err != nil {
		return nil, "", err
	}
	return d, path.Base(p), nil
}

// current returns p's state, with its content hashed and xattrs read
// when content is set (metadata only otherwise); a missing parent
// directory means p is absent.
func (t *tree) current(p string, content bool) (fileState, error) {
	d, name, err := t.parent(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fileState{}, nil
	}
	if err != nil {
		return fileState{}, err
	}
	defer d.Close()
	if !content {
		return d.lstat(name)
	}
	st, _, err := d.state(name, false)
	return st, err
}

// identity says which object a path named.
type identity struct {
	Dev, Ino uint64
	Type     string
}

func (st *fileState) identity() identity { return identity{st.Dev, st.Ino, st.Type} }

func typeOf(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return typeFile
	case unix.S_IFDIR:
		return typeDir
	case unix.S_IFLNK:
		return typeSymlink
	}
	return typeOther
}

// stateOf is the metadata part of a state.
func stateOf(s *unix.Stat_t) fileState {
	m := fs.FileMode(s.Mode & 0o777)
	if s.Mode&unix.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if s.Mode&unix.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if s.Mode&unix.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return fileState{
		Exists: true, Type: typeOf(s.Mode), Mode: m & remedy.PermMask, UID: s.Uid, GID: s.Gid,
		Atime: s.Atim.Nano(), Mtime: s.Mtim.Nano(), Dev: uint64(s.Dev), Ino: uint64(s.Ino), Nlink: uint64(s.Nlink),
	}
}

// lstat returns the state (metadata only) of name in d; absent is not an
// error.
func (d *dir) lstat(name string) (fileState, error) {
	var s unix.Stat_t
	err := unix.Fstatat(d.fd, name, &s, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return fileState{}, nil
	}
	if err != nil {
		return fileState{}, &fs.PathError{Op: "lstat", Path: d.abs(name), Err: err}
	}
	return stateOf(&s), nil
}

// self is d's own metadata.
func (d *dir) self() (fileState, error) {
	var s unix.Stat_t
	if err := unix.Fstat(d.fd, &s); err != nil {
		return fileState{}, &fs.PathError{Op: "stat", Path: target.Abs(d.rel), Err: err}
	}
	return stateOf(&s), nil
}

// state records name's current state. A regular file's content is
// hashed; with keep it is also read whole and returned as data (the
// files whose content a fix replaces are configuration files, small),
// otherwise it is streamed (a chmod may concern a large binary).
func (d *dir) state(name string, keep bool) (st fileState, data []byte, err error) {
	if st, err = d.lstat(name); err != nil || !st.Exists {
		return st, nil, err
	}
	switch st.Type {
	case typeFile, typeDir:
		want := st.identity()
		f, err := d.open(name, &want)
		if err != nil {
			return st, nil, err
		}
		defer f.Close()
		if st.Type == typeFile {
			h := sha256.New()
			var w io.Writer = h
			var buf bytes.Buffer
			if keep {
				w = io.MultiWriter(h, &buf)
			}
			n, err := io.Copy(w, f)
			if err != nil {
				return st, nil, fmt.Errorf("read %s: %w", d.abs(name), err)
			}
			st.SHA256, st.Size = hex.EncodeToString(h.Sum(nil)), n
			if keep {
				data = buf.Bytes()
			}
		}
		if st.Xattrs, err = listXattrs(f); err != nil {
			return st, nil, fmt.Errorf("%s: %w", d.abs(name), err)
		}
	case typeSymlink:
		buf := make([]byte, 4096)
		n, err := unix.Readlinkat(d.fd, name, buf)
		if err != nil {
			return st, nil, &fs.PathError{Op: "readlink", Path: d.abs(name), Err: err}
		}
		st.Link = string(buf[:n])
	}
	return st, data, nil
}

// changedErr reports that name is no longer the object the journal saw.
func changedErr(abs string, want identity, got fileState) error {
	if !got.Exists {
		return fmt.Errorf("%s: the %s was removed since it was journaled", abs, want.Type)
	}
	if got.Type != want.Type {
		return fmt.Errorf("%s: was a %s when journaled, now a %s", abs, want.Type, got.Type)
	}
	return fmt.Errorf("%s: replaced by another %s since it was journaled", abs, want.Type)
}

// open opens the regular file or directory name in d for reading, without
// following a symlink, updating its atime or blocking on a FIFO swapped
// in. want, when given, is the object it must be.
func (d *dir) open(name string, want *identity) (*os.File, error) {
	flag := unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	if want != nil && want.Type == typeDir {
		flag |= unix.O_DIRECTORY
	}
	fd, err := unix.Openat(d.fd, name, flag|unix.O_NOATIME, 0)
	if errors.Is(err, unix.EPERM) {
		fd, err = unix.Openat(d.fd, name, flag, 0)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: d.abs(name), Err: err}
	}
	var s unix.Stat_t
	if err := unix.Fstat(fd, &s); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "stat", Path: d.abs(name), Err: err}
	}
	got := stateOf(&s)
	if got.Type != typeFile && got.Type != typeDir || want != nil && got.identity() != *want {
		unix.Close(fd)
		if want == nil {
			return nil, fmt.Errorf("%s: not a regular file or directory", d.abs(name))
		}
		return nil, changedErr(d.abs(name), *want, got)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), d.abs(name)), nil
}

// openDir opens the directory name in d (for listing or syncing it).
func (d *dir) openDir(name string) (*os.File, error) {
	fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: d.abs(name), Err: err}
	}
	return os.NewFile(uintptr(fd), d.abs(name)), nil
}

// create makes the new file name in d, failing if anything is there.
func (d *dir) create(name string) (*os.File, error) {
	fd, err := unix.Openat(d.fd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, &fs.PathError{Op: "create", Path: d.abs(name), Err: err}
	}
	return os.NewFile(uintptr(fd), d.abs(name)), nil
}

// sync fsyncs d; file systems that cannot fsync directories are not an
// error.
func (d *dir) sync() error { return syncOpened(d.openDir(".")) }

func (d *dir) rename(from, to string) error {
	if err := unix.Renameat(d.fd, from, d.fd, to); err != nil {
		return &os.LinkError{Op: "rename", Old: d.abs(from), New: d.abs(to), Err: err}
	}
	return nil
}

// remove unlinks name (a directory when isDir) in d and fsyncs d.
func (d *dir) remove(name string, isDir bool) error {
	flag := 0
	if isDir {
		flag = unix.AT_REMOVEDIR
	}
	if err := unix.Unlinkat(d.fd, name, flag); err != nil {
		return &fs.PathError{Op: "remove", Path: d.abs(name), Err: err}
	}
	return d.sync()
}

func (d *dir) mkdir(name string, perm uint32) error {
	if err := unix.Mkdirat(d.fd, name, perm); err != nil {
		return &fs.PathError{Op: "mkdir", Path: d.abs(name), Err: err}
	}
	return nil
}

func (d *dir) symlink(link, name string) error {
	if err := unix.Symlinkat(link, d.fd, name); err != nil {
		return &fs.PathError{Op: "symlink", Path: d.abs(name), Err: err}
	}
	return nil
}

// lchown sets the owner of name itself, never of what a symlink names.
func (d *dir) lchown(name string, uid, gid uint32) error {
	if err := unix.Fchownat(d.fd, name, int(uid), int(gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &fs.PathError{Op: "lchown", Path: d.abs(name), Err: err}
	}
	return nil
}

// setTimes sets name's atime and mtime (nanoseconds) without following a
// final symlink; "." is d itself.
func (d *dir) setTimes(name string, atime, mtime int64) error {
	ts := []unix.Timespec{unix.NsecToTimespec(atime), unix.NsecToTimespec(mtime)}
	if err := unix.UtimesNanoAt(d.fd, name, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &fs.PathError{Op: "utimensat", Path: d.abs(name), Err: err}
	}
	return nil
}

// chownChmod sets owner and mode of a special file (device, FIFO,
// socket) that must still be want, through an O_PATH descriptor: opening
// it for I/O could block or have side effects, and Linux's fchmodat
// cannot refuse to follow a symlink.
func (d *dir) chownChmod(name string, want identity, uid, gid uint32, mode fs.FileMode) error {
	fd, err := unix.Openat(d.fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: d.abs(name), Err: err}
	}
	defer unix.Close(fd)
	var s unix.Stat_t
	if err := unix.Fstat(fd, &s); err != nil {
		return &fs.PathError{Op: "stat", Path: d.abs(name), Err: err}
	}
	if got := stateOf(&s); got.identity() != want || got.Type == typeSymlink {
		return changedErr(d.abs(name), want, got)
	}
	if err := unix.Fchownat(fd, "", int(uid), int(gid), unix.AT_EMPTY_PATH); err != nil {
		return &fs.PathError{Op: "chown", Path: d.abs(name), Err: err}
	}
	perm := uint32(mode.Perm())
	if mode&fs.ModeSetuid != 0 {
		perm |= unix.S_ISUID
	}
	if mode&fs.ModeSetgid != 0 {
		perm |= unix.S_ISGID
	}
	if mode&fs.ModeSticky != 0 {
		perm |= unix.S_ISVTX
	}
	err = unix.Fchmodat(fd, "", perm, unix.AT_EMPTY_PATH) // fchmodat2, Linux 6.6
	if err != nil {
		// The descriptor's /proc link names the verified object itself.
		err = unix.Chmod("/proc/self/fd/"+strconv.Itoa(fd), perm)
	}
	if err != nil {
		return &fs.PathError{Op: "chmod", Path: d.abs(name), Err: err}
	}
	return nil
}
