package fileutil

import (
	"fmt"
	"io"
	"os"
)

// ReadBounded reads the file at p, refusing one larger than limit bytes:
// state files under $CRADLE_HOME are read whole, and a damaged or planted
// one must not exhaust memory.
func ReadBounded(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", p, limit)
	}
	return b, nil
}
