//go:build linux && !amd64 && !arm64

package target

import "golang.org/x/sys/unix"

func fstatatName(fd int, name []byte, st *unix.Stat_t) error {
	for {
		err := unix.Fstatat(fd, string(name), st, statFlags)
		if err != unix.EINTR {
			return err
		}
	}
}

func openatName(fd int, name []byte, flags int) (int, error) {
	for {
		r, err := unix.Openat(fd, string(name), flags, 0)
		if err != unix.EINTR {
			return r, err
		}
	}
}
