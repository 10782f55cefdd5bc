//go:build linux

package target

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Xattrs reads the extended attributes of the root-relative path rel
// (see target.Xattrs). The parent directory is opened with openat2
// below the root following no symlink (a path with symlink components
// is first resolved inside the root), and the attributes are read with
// the l-variants through /proc/self/fd/N/<base>: the only name looked up
// there is the final one, which they do not follow, so no symlink can
// lead out of the root, even one raced in meanwhile.
func (o *BulkOpener) Xattrs(rel string) (map[string][]byte, error) {
	d, ok := o.t.(*dirTarget)
	if o.root == nil || !ok {
		return nil, &fs.PathError{Op: "listxattr", Path: Abs(rel), Err: ErrNotSupported}
	}
	rel = Clean(rel)
	fd, base, err := o.openParent(rel)
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EXDEV) {
		// A symlink among the leading components: resolve it with chroot
		// semantics, then open the symlink-free result.
		var p string
		if p, err = resolve(d, rel, false); err != nil {
			return nil, err
		}
		fd, base, err = o.openParent(p)
	}
	if err != nil {
		if errors.Is(err, unix.ENOSYS) {
			err = ErrNotSupported // no openat2 (Linux < 5.6)
		}
		return nil, &fs.PathError{Op: "listxattr", Path: Abs(rel), Err: err}
	}
	defer unix.Close(fd)
	p := "/proc/self/fd/" + strconv.Itoa(fd) + "/" + base
	out, err := readXattrs(p)
	if err != nil {
		return nil, &fs.PathError{Op: "listxattr", Path: Abs(rel), Err: err}
	}
	return out, nil
}

// openParent opens the directory holding rel as an O_PATH descriptor
// and returns the final name to look up in it ("." for the root).
func (o *BulkOpener) openParent(rel string) (int, string, error) {
	dir, base := path.Split(rel)
	dir = strings.TrimSuffix(dir, "/")
	if rel == "" {
		dir, base = "", "."
	}
	if dir == "" {
		dir = "."
	}
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	for {
		fd, err := openat2Long(int(o.root.Fd()), dir, &how)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return fd, base, err
	}
}

// readXattrs lists and reads the attributes of p, bounded by the
// kernel's limits; a filesystem without extended attributes has none.
func readXattrs(p string) (map[string][]byte, error) {
	out := map[string][]byte{}
	list, err := xattrCall(func(b []byte) (int, error) { return unix.Llistxattr(p, b) }, MaxXattrList)
	if errors.Is(err, unix.ENOTSUP) {
		return out, nil
	}
	if err != nil {
		if errors.Is(err, unix.ENOENT) && !procMounted() {
			return nil, fmt.Errorf("%w (no /proc)", ErrNotSupported)
		}
		return nil, err
	}
	for _, name := range strings.Split(string(list), "\x00") {
		if name == "" {
			continue
		}
		v, err := xattrCall(func(b []byte) (int, error) { return unix.Lgetxattr(p, name, b) }, MaxXattrValue)
		if errors.Is(err, unix.ENODATA) {
			continue // removed since listed
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}

// xattrCall asks for the size, then reads; a value that grew in between
// (ERANGE) is asked for again, a few times.
func xattrCall(call func([]byte) (int, error), limit int) ([]byte, error) {
	for range 4 {
		n, err := call(nil)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, nil
		}
		if n > limit {
			return nil, fmt.Errorf("%d bytes exceed the limit of %d", n, limit)
		}
		b := make([]byte, n)
		n, err = call(b)
		if errors.Is(err, unix.ERANGE) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return b[:n], nil
	}
	return nil, unix.ERANGE
}

func procMounted() bool {
	var st unix.Statfs_t
	return unix.Statfs("/proc/self/fd", &st) == nil && st.Type == unix.PROC_SUPER_MAGIC
}
