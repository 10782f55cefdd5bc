package fim

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cradle-cra/cradle/internal/target"
)

// opener opens the regular files of one walk. On a directory target it
// opens each file with one openat2 relative to the root, following no
// symlink at all (the walk saw a regular file there; anything else now
// is a race and refused) — target.Open's resolver, which re-resolves
// every component with chroot semantics, costs hundreds of microseconds
// per file on deep trees. O_NOATIME keeps the walk from touching every
// file's atime where the kernel allows it.
type opener struct {
	t    target.Target
	root *os.File
	// noOpenat2 is set once openat2 turned out to be unavailable;
	// noNoatime once O_NOATIME was refused (not the file's owner).
	noOpenat2, noNoatime atomic.Bool
}

func newOpener(t target.Target) (*opener, error) {
	root, _, err := target.RootDir(t)
	if err != nil {
		return nil, err
	}
	return &opener{t: t, root: root}, nil
}

func (o *opener) Close() error {
	if o.root != nil {
		return o.root.Close()
	}
	return nil
}

func (o *opener) open(rel string) (handle, error) {
	if o.root == nil || o.noOpenat2.Load() {
		return o.viaTarget(rel)
	}
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOCTTY,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	if !o.noNoatime.Load() {
		how.Flags |= unix.O_NOATIME
	}
	for {
		fd, err := unix.Openat2(int(o.root.Fd()), rel, &how)
		switch {
		case err == nil:
			return &rawFile{fd: fd, path: "/" + rel}, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EPERM) && how.Flags&unix.O_NOATIME != 0:
			o.noNoatime.Store(true)
			how.Flags &^= unix.O_NOATIME
			continue
		case errors.Is(err, unix.ENOSYS):
			o.noOpenat2.Store(true)
			return o.viaTarget(rel)
		}
		return nil, &fs.PathError{Op: "open", Path: "/" + rel, Err: err}
	}
}

func (o *opener) viaTarget(rel string) (handle, error) {
	rc, err := o.t.Open(rel)
	if err != nil {
		return nil, err
	}
	return targetFile{rc, rel}, nil
}

// rawFile is a bare descriptor: an *os.File would register every
// non-blocking descriptor with the runtime's poller, a system call each
// way per file.
type rawFile struct {
	fd   int
	path string
}

func (f *rawFile) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(f.fd, p)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return 0, &fs.PathError{Op: "read", Path: f.path, Err: err}
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *rawFile) Close() error { return unix.Close(f.fd) }

func (f *rawFile) entry(path string) (*Entry, error) {
	var st unix.Stat_t
	if err := unix.Fstat(f.fd, &st); err != nil {
		return nil, &fs.PathError{Op: "fstat", Path: f.path, Err: err}
	}
	e := &Entry{Path: path, Type: TypeOther, Mode: st.Mode & 0o7777, UID: st.Uid, GID: st.Gid,
		Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano(), Inode: st.Ino, Links: uint64(st.Nlink)}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		e.Type, e.Size = TypeFile, st.Size
	case unix.S_IFDIR:
		e.Type = TypeDir
	case unix.S_IFLNK:
		e.Type, e.Size = TypeSymlink, st.Size
	}
	return e, nil
}
