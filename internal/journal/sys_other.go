//go:build !linux

package journal

import (
	"errors"
	"fmt"
	"os"
)

// The journal relies on Linux owners, extended attributes and nanosecond
// times; fix runs only target Linux trees.
var errPlatform = fmt.Errorf("journal: %w on this platform", errors.ErrUnsupported)

func supported() error { return errPlatform }

func readState(r *os.Root, p string) (fileState, []byte, error) { return fileState{}, nil, errPlatform }

func timesOf(r *os.Root, dir string) (*dirTimes, error) { return nil, errPlatform }

func openNoFollow(r *os.Root, p string, dir bool) (*os.File, error) { return nil, errPlatform }

func setXattrs(f *os.File, want []xattr) error { return errPlatform }

func setTimes(r *os.Root, p string, atime, mtime int64) error { return errPlatform }

func ignorableSyncErr(err error) bool { return false }

func lockStore(dir string) (release func(), err error) { return nil, errPlatform }
