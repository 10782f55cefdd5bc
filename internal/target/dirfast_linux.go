package target

import (
	"errors"
	"io"
	"os"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// beneath is the directory target's fast path on Linux: a name without
// ".." is opened with one openat2 below the root that follows no symlink
// at all (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), then stat'ed or read
// through the descriptor. The portable resolver (resolve.go) lstats every
// prefix of a path through os.Root, which itself opens every parent:
// a dozen or more system calls for /usr/lib/systemd/system/x.service
// against three here, on a VM where each costs a microsecond.
//
// The answer is the resolver's whenever the fast path answers: with no
// symlink and no ".." on the way, the resolved path is the name itself.
// Anything else (a symlink anywhere, a failure of any kind, a kernel
// without openat2) is left to the resolver, which gives its own answer
// and error, so results and messages do not depend on the path taken.
type beneath struct {
	root *os.File
	off  atomic.Bool // openat2 unavailable (ENOSYS, or refused by a sandbox)
}

func newBeneath(r *os.Root) *beneath {
	f, err := r.Open(".")
	if err != nil {
		return nil
	}
	return &beneath{root: f}
}

func (b *beneath) close() {
	if b != nil {
		b.root.Close()
	}
}

// rel is name as a clean root-relative path for the kernel, ok false when
// it needs the resolver: a ".." component, or longer than one openat2
// takes.
func fastRel(name string) (string, bool) {
	if strings.Contains(name, "..") {
		return "", false
	}
	var sb strings.Builder
	for _, c := range strings.Split(name, "/") {
		if c == "" || c == "." {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('/')
		}
		sb.WriteString(c)
	}
	if sb.Len() == 0 {
		return ".", true
	}
	if sb.Len() >= unix.PathMax-1 {
		return "", false
	}
	return sb.String(), true
}

// open opens name below the root with flags, following no symlink; ok
// is false when the resolver must answer instead.
func (b *beneath) open(name string, flags uint64) (fd int, rel string, ok bool) {
	if b == nil || b.off.Load() {
		return -1, "", false
	}
	rel, ok = fastRel(name)
	if !ok {
		return -1, "", false
	}
	if flags&unix.O_PATH == 0 {
		flags |= unix.O_NOCTTY // openat2 refuses O_PATH with other flags
	}
	how := unix.OpenHow{
		Flags:   flags | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	for {
		fd, err := unix.Openat2(int(b.root.Fd()), rel, &how)
		switch {
		case err == nil:
			if rel == "." {
				rel = ""
			}
			return fd, rel, true
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ENOSYS):
			b.off.Store(true)
		}
		return -1, "", false
	}
}

// lstat describes name without following a final symlink (with its
// target read through the same descriptor).
func (b *beneath) lstat(name string) (FileInfo, bool) {
	return b.describe(name, unix.O_PATH|unix.O_NOFOLLOW)
}

// stat describes name; a final symlink leaves it to the resolver.
func (b *beneath) stat(name string) (FileInfo, bool) {
	return b.describe(name, unix.O_PATH)
}

// describe opens name with flags and describes the descriptor.
func (b *beneath) describe(name string, flags uint64) (FileInfo, bool) {
	fd, rel, ok := b.open(name, flags)
	if !ok {
		return FileInfo{}, false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return FileInfo{}, false
	}
	fi := fileInfoFromStat(rel, &st)
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		l, err := readlinkFD(fd)
		if err != nil {
			return FileInfo{}, false
		}
		fi.Link = l
	}
	return fi, true
}

// readlink reads the symlink name.
func (b *beneath) readlink(name string) (string, bool) {
	fd, _, ok := b.open(name, unix.O_PATH|unix.O_NOFOLLOW)
	if !ok {
		return "", false
	}
	defer unix.Close(fd)
	l, err := readlinkFD(fd)
	return l, err == nil
}

// openFile opens name for reading if it is a regular file (non-blocking,
// so a FIFO swapped in cannot hang the open; the type is checked on the
// descriptor). Not a regular file, or any failure, is the resolver's to
// report.
func (b *beneath) openFile(name string) (io.ReadCloser, bool) {
	fd, _, ok := b.open(name, unix.O_RDONLY|unix.O_NONBLOCK)
	if !ok {
		return nil, false
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, false
	}
	return os.NewFile(uintptr(fd), "/"+strings.Trim(name, "/")), true
}

// openDir opens the directory name for listing.
func (b *beneath) openDir(name string) (*os.File, bool) {
	fd, _, ok := b.open(name, unix.O_RDONLY|unix.O_DIRECTORY)
	if !ok {
		return nil, false
	}
	return os.NewFile(uintptr(fd), "/"+strings.Trim(name, "/")), true
}

// readlinkFD reads the symlink an O_PATH|O_NOFOLLOW descriptor names.
func readlinkFD(fd int) (string, error) {
	for size := 256; size <= 1<<20; size *= 4 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(fd, "", buf)
		if errors.Is(err, unix.EINTR) {
			size /= 4
			continue
		}
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
	return "", unix.ENAMETOOLONG
}
