//go:build !linux

package imagebuild

import "io/fs"

type ownership struct {
	uid, gid     int
	nlink        uint64
	dev, ino     uint64
	major, minor int64
}

// Elsewhere files are recorded as root-owned without hard links: image
// trees are built on Linux, other hosts only need the tests to run.
func sysOwnership(fs.FileInfo) ownership { return ownership{nlink: 1} }
