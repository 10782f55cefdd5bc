//go:build linux

package imagebuild

import (
	"io/fs"
	"syscall"
)

// ownership is what a layer records of a file beyond io/fs: owner, link
// count and identity (for hard links) and device numbers.
type ownership struct {
	uid, gid     int
	nlink        uint64
	dev, ino     uint64
	major, minor int64
}

func sysOwnership(fi fs.FileInfo) ownership {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ownership{nlink: 1}
	}
	rdev := uint64(st.Rdev) //nolint:unconvert // Rdev's type differs across architectures
	return ownership{
		uid: int(st.Uid), gid: int(st.Gid),
		nlink: uint64(st.Nlink), dev: uint64(st.Dev), ino: st.Ino, //nolint:unconvert
		major: int64((rdev>>8)&0xfff | (rdev>>32)&^0xfff),
		minor: int64(rdev&0xff | (rdev>>12)&^0xff),
	}
}
