package fileutil

import (
	"os"

	"golang.org/x/sys/unix"
)

// TempFile returns a read-write temporary file in dir (os.TempDir() if
// empty) that has no name: O_TMPFILE where the filesystem supports it,
// otherwise a file removed right after it is created. Its space is freed
// when it is closed or the process dies, so a kill never leaves it behind.
// release closes it.
func TempFile(dir string) (f *os.File, release func() error, err error) {
	if dir == "" {
		dir = os.TempDir()
	}
	f, err = os.OpenFile(dir, os.O_RDWR|unix.O_TMPFILE, 0o600)
	if err != nil {
		return tempUnlinked(dir)
	}
	return f, f.Close, nil
}
