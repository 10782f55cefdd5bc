//go:build !unix

package fileutil

import (
	"errors"
	"os"
)

// TempFile returns a read-write temporary file in dir (os.TempDir() if
// empty). An open file cannot be removed here, so release closes and
// removes it.
func TempFile(dir string) (f *os.File, release func() error, err error) {
	f, err = os.CreateTemp(dir, "cradle-spool-*")
	if err != nil {
		return nil, nil, err
	}
	return f, func() error { return errors.Join(f.Close(), os.Remove(f.Name())) }, nil
}
