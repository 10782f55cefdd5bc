//go:build !linux

package target

import "io/fs"

// Xattrs is implemented on Linux only.
func (o *BulkOpener) Xattrs(rel string) (map[string][]byte, error) {
	return nil, &fs.PathError{Op: "listxattr", Path: Abs(rel), Err: ErrNotSupported}
}
