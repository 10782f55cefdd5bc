package target

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// BulkOpener opens the regular files of one walk. On a directory target
// it opens each with one openat2 relative to the root that follows no
// symlink at all (the walk saw a regular file there; anything else now is
// a race and refused), so the confinement is stricter than the resolver's
// while costing one system call: the resolver re-resolves every component
// with chroot semantics, hundreds of microseconds per file on deep trees.
// O_NOATIME keeps the walk from touching every file's atime where the
// kernel allows it.
type BulkOpener struct {
	t    Target
	root *os.File
	// noOpenat2 is set once openat2 turned out to be unavailable;
	// noNoatime once O_NOATIME was refused (not the file's owner).
	noOpenat2, noNoatime atomic.Bool
}

func newBulkOpener(t Target) (*BulkOpener, error) {
	root, _, err := RootDir(t)
	if err != nil {
		return nil, err
	}
	return &BulkOpener{t: t, root: root}, nil
}

// Close releases the root directory.
func (o *BulkOpener) Close() error {
	if o.root != nil {
		return o.root.Close()
	}
	return nil
}

// Direct reports whether the opener opens files itself, below the root
// of the very directory target it was made for, rather than through the
// target's Open (another kind of target, or one wrapping a directory
// target, whose Open and Walk may add their own behaviour).
func (o *BulkOpener) Direct() bool { return o.root != nil && !o.noOpenat2.Load() }

// Open opens the regular file at the root-relative path rel.
func (o *BulkOpener) Open(rel string) (BulkFile, error) {
	if o.root == nil || o.noOpenat2.Load() {
		return openViaTarget(o.t, rel)
	}
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOCTTY,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	if !o.noNoatime.Load() {
		how.Flags |= unix.O_NOATIME
	}
	for {
		fd, err := openat2Long(int(o.root.Fd()), rel, &how)
		switch {
		case err == nil:
			return regularOnly(fd, rel)
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EPERM) && how.Flags&unix.O_NOATIME != 0:
			o.noNoatime.Store(true)
			how.Flags &^= unix.O_NOATIME
			continue
		case errors.Is(err, unix.ENOSYS):
			o.noOpenat2.Store(true)
			return openViaTarget(o.t, rel)
		}
		return nil, &fs.PathError{Op: "open", Path: "/" + rel, Err: err}
	}
}

// regularOnly keeps fd only if it is a regular file: a device node or
// FIFO swapped in after the caller's Lstat is closed before any read
// (the open itself is non-blocking, so a FIFO cannot hang it).
func regularOnly(fd int, rel string) (BulkFile, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "fstat", Path: "/" + rel, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: "/" + rel, Err: errNotRegular}
	}
	return &rawFile{fd: fd, rel: rel, st: st, stated: true}, nil
}

// rawFile is a bare descriptor: an *os.File would register every
// non-blocking descriptor with the runtime's poller, a system call each
// way per file.
type rawFile struct {
	fd  int
	rel string
	// st is the fstat taken at open, which the first Stat returns
	// (stated until then): the file is the same, and a hashed file saves
	// one system call.
	st     unix.Stat_t
	stated bool
}

func (f *rawFile) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(f.fd, p)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return 0, &fs.PathError{Op: "read", Path: "/" + f.rel, Err: err}
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *rawFile) Close() error { return unix.Close(f.fd) }

func (f *rawFile) Stat() (FileInfo, bool, error) {
	if f.stated {
		f.stated = false
		return fileInfoFromStat(f.rel, &f.st), true, nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(f.fd, &st); err != nil {
		return FileInfo{}, false, &fs.PathError{Op: "fstat", Path: "/" + f.rel, Err: err}
	}
	return fileInfoFromStat(f.rel, &st), true, nil
}

// Readlink reads the symbolic link at the root-relative path rel. On a
// directory target it opens the link itself (O_PATH|O_NOFOLLOW) with
// one openat2 below the root that follows no symlink, and reads it
// through the descriptor: the resolver's Readlink re-resolves every
// component, which for the tens of thousands of links of a system tree
// cost more than the walk's lstat calls.
func (o *BulkOpener) Readlink(rel string) (string, error) {
	if o.root == nil || o.noOpenat2.Load() {
		return o.t.Readlink(rel)
	}
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	fd, err := openat2Long(int(o.root.Fd()), rel, &how)
	for errors.Is(err, unix.EINTR) {
		fd, err = openat2Long(int(o.root.Fd()), rel, &how)
	}
	if errors.Is(err, unix.ENOSYS) {
		o.noOpenat2.Store(true)
		return o.t.Readlink(rel)
	}
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: "/" + rel, Err: err}
	}
	defer unix.Close(fd)
	l, err := readlinkFD(fd)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: "/" + rel, Err: err}
	}
	return l, nil
}

// openat2Long is openat2 for paths of any length: one longer than
// PATH_MAX (a deep tree can have them; the walk itself never builds
// such a path for the kernel) is opened in steps, each directory below
// the last with the same resolve flags, so the confinement holds at
// every step.
func openat2Long(dirfd int, rel string, how *unix.OpenHow) (int, error) {
	const step = unix.PathMax - 256
	cur, owned := dirfd, false
	defer func() {
		if owned {
			unix.Close(cur)
		}
	}()
	for len(rel) >= unix.PathMax {
		i := strings.LastIndexByte(rel[:step], '/')
		if i <= 0 {
			return -1, unix.ENAMETOOLONG
		}
		dh := unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: how.Resolve}
		fd, err := unix.Openat2(cur, rel[:i], &dh)
		if err != nil {
			return -1, err
		}
		if owned {
			unix.Close(cur)
		}
		cur, owned, rel = fd, true, rel[i+1:]
	}
	return unix.Openat2(cur, rel, how)
}
