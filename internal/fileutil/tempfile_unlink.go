//go:build unix

package fileutil

import (
	"errors"
	"os"
)

// tempUnlinked creates a temporary file in dir and removes its name at
// once; the open descriptor keeps the data.
func tempUnlinked(dir string) (*os.File, func() error, error) {
	f, err := os.CreateTemp(dir, "cradle-spool-*")
	if err != nil {
		return nil, nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		return nil, nil, errors.Join(err, f.Close())
	}
	return f, f.Close, nil
}
