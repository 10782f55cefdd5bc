//go:build unix

package home

import (
	"io/fs"
	"os"
	"syscall"
)

// ownedByOther reports whether fi belongs to another user than the
// effective one: such a directory could hold a planted journal that a root
// rollback would restore into the system.
func ownedByOther(fi fs.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, int(st.Uid) != os.Geteuid()
}
