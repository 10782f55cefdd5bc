//go:build unix

package target

import (
	"io/fs"
	"syscall"
)

func fromOS(p string, fi fs.FileInfo) FileInfo {
	out := FileInfo{Path: p, Mode: fi.Mode(), Size: fi.Size(), ModTime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		out.UID, out.GID = st.Uid, st.Gid
		out.Nlink = uint64(st.Nlink)
		out.Dev = uint64(st.Dev)
		out.Ino = uint64(st.Ino)
		out.ChangeTime = changeTime(st)
	}
	return out
}

var errIsDir error = syscall.EISDIR

const openNonblock = syscall.O_NONBLOCK

// openDirectory makes opening anything but a directory fail (a FIFO
// named where a directory is expected would otherwise block the open).
const openDirectory = syscall.O_DIRECTORY

// InfoOf converts what os.Stat, os.Lstat or (*os.File).Stat returned for
// the root-relative path p into a FileInfo.
func InfoOf(p string, fi fs.FileInfo) FileInfo { return fromOS(p, fi) }
