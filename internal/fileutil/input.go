package fileutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrNotRegular is returned for a path that must be a regular file but is
// a FIFO, socket, device or directory.
var ErrNotRegular = errors.New("not a regular file")

// OpenNonblock opens a user-supplied path for reading without blocking:
// opening a FIFO for reading waits for a writer, so it is opened with
// O_NONBLOCK (no effect on regular files and directories) and its type is
// taken from the opened descriptor, so a path swapped after a Stat is seen
// as what was actually opened. Symlinks are followed: the user named the path.
func OpenNonblock(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// OpenRegular opens path for reading if it is a regular file and refuses
// anything else (a FIFO would block for ever, a device reads without end)
// with an error naming what it is.
func OpenRegular(path string) (*os.File, error) {
	f, fi, err := OpenNonblock(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, NotRegularError(path, fi.Mode())
	}
	return f, nil
}

// NotRegularError describes a path of mode m where a regular file was
// expected; it wraps ErrNotRegular.
func NotRegularError(path string, m fs.FileMode) error {
	kind := "special file"
	switch {
	case m.IsDir():
		kind = "directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "FIFO"
	case m&fs.ModeSocket != 0:
		kind = "socket"
	case m&fs.ModeCharDevice != 0:
		kind = "character device"
	case m&fs.ModeDevice != 0:
		kind = "block device"
	}
	return fmt.Errorf("%s: %w (a %s)", path, ErrNotRegular, kind)
}
