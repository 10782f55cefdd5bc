//go:build linux

package journal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

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
