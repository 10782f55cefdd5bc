//go:build linux

package fswatch

import (
	"io/fs"
	"syscall"
)

// sysStat adds the inode and ctime a poll compares: a file replaced by
// rename, or changed with its mtime put back, is still seen.
func sysStat(fi fs.FileInfo) (ino uint64, ctime int64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino, st.Ctim.Nano()
	}
	return 0, 0
}
