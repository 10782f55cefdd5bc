//go:build linux && (amd64 || arm64)

package target

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// fstatatName stats the NUL-terminated name in a getdents buffer without
// first copying it into a Go string and again into a C string: a walk of
// a few hundred thousand entries spends a measurable share of its time in
// those allocations (see docs/performance.md).
func fstatatName(fd int, name []byte, st *unix.Stat_t) error {
	// name is followed by its NUL terminator in the dirent record.
	for {
		_, _, e := unix.Syscall6(sysFstatat, uintptr(fd), uintptr(unsafe.Pointer(&name[0])), uintptr(unsafe.Pointer(st)), statFlags, 0, 0)
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return e
	}
}

// openatName opens the NUL-terminated name in a getdents buffer relative
// to fd, as fstatatName stats it.
func openatName(fd int, name []byte, flags int) (int, error) {
	for {
		r, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(fd), uintptr(unsafe.Pointer(&name[0])), uintptr(flags), 0, 0, 0)
		switch e {
		case 0:
			return int(r), nil
		case unix.EINTR:
			continue
		}
		return -1, e
	}
}
