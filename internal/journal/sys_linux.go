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
	"slices"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/cradle-cra/cradle/internal/remedy"
)

func supported() error { return nil }

// readState records p's current state. Regular files are read whole
// (configuration files are small); data is their content.
func readState(r *os.Root, p string) (st fileState, data []byte, err error) {
	fi, err := r.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fileState{}, nil, nil
	}
	if err != nil {
		return st, nil, err
	}
	st = statOf(fi)
	switch {
	case fi.Mode().IsRegular():
		st.Type = typeFile
		f, err := openNoFollow(r, p, false)
		if err != nil {
			return st, nil, err
		}
		defer f.Close()
		if data, err = io.ReadAll(f); err != nil {
			return st, nil, fmt.Errorf("read %s: %w", p, err)
		}
		s := sha256.Sum256(data)
		st.SHA256, st.Size = hex.EncodeToString(s[:]), int64(len(data))
		if st.Xattrs, err = listXattrs(f); err != nil {
			return st, nil, fmt.Errorf("%s: %w", p, err)
		}
	case fi.IsDir():
		st.Type = typeDir
		f, err := openNoFollow(r, p, true)
		if err != nil {
			return st, nil, err
		}
		defer f.Close()
		if st.Xattrs, err = listXattrs(f); err != nil {
			return st, nil, fmt.Errorf("%s: %w", p, err)
		}
	case fi.Mode()&fs.ModeSymlink != 0:
		st.Type = typeSymlink
		if st.Link, err = r.Readlink(p); err != nil {
			return st, nil, err
		}
	default:
		st.Type = typeOther
	}
	return st, data, nil
}

func statOf(fi fs.FileInfo) fileState {
	st := fileState{Exists: true, Mode: fi.Mode() & remedy.PermMask}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.UID, st.GID = sys.Uid, sys.Gid
		st.Atime, st.Mtime = sys.Atim.Nano(), sys.Mtim.Nano()
	}
	return st
}

func timesOf(r *os.Root, dir string) (*dirTimes, error) {
	fi, err := r.Lstat(dir)
	if err != nil {
		return nil, err
	}
	st := statOf(fi)
	return &dirTimes{Path: dir, Atime: st.Atime, Mtime: st.Mtime}, nil
}

// openNoFollow opens a regular file or directory for reading through r
// without updating its atime, and checks that it is what was expected.
func openNoFollow(r *os.Root, p string, dir bool) (*os.File, error) {
	flag := os.O_RDONLY | syscall.O_NOFOLLOW
	if dir {
		flag |= syscall.O_DIRECTORY
	}
	f, err := r.OpenFile(p, flag|syscall.O_NOATIME, 0)
	if errors.Is(err, syscall.EPERM) {
		f, err = r.OpenFile(p, flag, 0)
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() != dir || err == nil && !dir && !fi.Mode().IsRegular() {
		err = fmt.Errorf("open %s: file type changed", p)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func listXattrs(f *os.File) ([]xattr, error) {
	fd := int(f.Fd())
	var names []byte
	for {
		n, err := unix.Flistxattr(fd, nil)
		if errors.Is(err, unix.ENOTSUP) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listxattr: %w", err)
		}
		if n == 0 {
			return nil, nil
		}
		names = make([]byte, n)
		n, err = unix.Flistxattr(fd, names)
		if errors.Is(err, unix.ERANGE) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("listxattr: %w", err)
		}
		names = names[:n]
		break
	}
	var out []xattr
	for _, name := range bytes.Split(names, []byte{0}) {
		if len(name) == 0 {
			continue
		}
		v, err := getXattr(fd, string(name))
		if errors.Is(err, unix.ENODATA) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("getxattr %s: %w", name, err)
		}
		out = append(out, xattr{Name: string(name), Value: v})
	}
	slices.SortFunc(out, func(a, b xattr) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out, nil
}

func getXattr(fd int, name string) ([]byte, error) {
	for {
		n, err := unix.Fgetxattr(fd, name, nil)
		if err != nil {
			return nil, err
		}
		buf := make([]byte, n)
		n, err = unix.Fgetxattr(fd, name, buf)
		if errors.Is(err, unix.ERANGE) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}

// setXattrs makes f's extended attributes exactly want.
func setXattrs(f *os.File, want []xattr) error {
	cur, err := listXattrs(f)
	if err != nil {
		return err
	}
	fd := int(f.Fd())
	for _, c := range cur {
		if !slices.ContainsFunc(want, func(w xattr) bool { return w.Name == c.Name }) {
			if err := unix.Fremovexattr(fd, c.Name); err != nil && !errors.Is(err, unix.ENODATA) {
				return fmt.Errorf("removexattr %s: %w", c.Name, err)
			}
		}
	}
	for _, w := range want {
		if i := slices.IndexFunc(cur, func(c xattr) bool { return c.Name == w.Name }); i >= 0 && bytes.Equal(cur[i].Value, w.Value) {
			continue
		}
		if err := unix.Fsetxattr(fd, w.Name, w.Value, 0); err != nil {
			return fmt.Errorf("setxattr %s: %w", w.Name, err)
		}
	}
	return nil
}

// setTimes sets p's atime and mtime (nanoseconds) without following a
// final symlink, relative to its parent opened through r.
func setTimes(r *os.Root, p string, atime, mtime int64) error {
	dir, base := path.Dir(p), path.Base(p)
	if p == "." {
		base = "."
	}
	d, err := r.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer d.Close()
	ts := []unix.Timespec{unix.NsecToTimespec(atime), unix.NsecToTimespec(mtime)}
	if err := unix.UtimesNanoAt(int(d.Fd()), base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("utimensat %s: %w", p, err)
	}
	return nil
}

func ignorableSyncErr(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP)
}

// lockStore takes the store's exclusive lock; release drops it.
func lockStore(dir string) (release func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("journal lock: %w", err)
	}
	return func() {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}
