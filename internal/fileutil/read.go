package fileutil

import (
	"fmt"
	"io"
)

// ReadBounded reads a whole regular file of at most limit bytes; a larger
// one is an error, not a truncated read, and a FIFO, socket or device is
// refused rather than waited on (OpenRegular). A missing file's error
// matches fs.ErrNotExist.
func ReadBounded(path string, limit int64) ([]byte, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return b, nil
}
