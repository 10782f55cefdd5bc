//go:build !linux

package fswatch

import "io/fs"

// sysStat: portable metadata only (mode, size, mtime) outside Linux.
func sysStat(fs.FileInfo) (ino uint64, ctime int64) { return 0, 0 }
