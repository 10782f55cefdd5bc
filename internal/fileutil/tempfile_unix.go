//go:build unix && !linux

package fileutil

import "os"

// TempFile returns a read-write temporary file in dir (os.TempDir() if
// empty) that is removed right after it is created, so a kill never leaves
// it behind. release closes it.
func TempFile(dir string) (f *os.File, release func() error, err error) {
	if dir == "" {
		dir = os.TempDir()
	}
	return tempUnlinked(dir)
}
