//go:build !unix

package target

import (
	"errors"
	"io/fs"
)

// Ownership is a POSIX notion; on other hosts files report uid/gid 0 and
// only offline Linux trees and images are meaningful targets.
func fromOS(p string, fi fs.FileInfo) FileInfo {
	return FileInfo{Path: p, Mode: fi.Mode(), Size: fi.Size(), ModTime: fi.ModTime(), Nlink: 1}
}

var errIsDir = errors.New("is a directory")

const openNonblock = 0

const openDirectory = 0

// InfoOf converts what os.Stat, os.Lstat or (*os.File).Stat returned for
// the root-relative path p into a FileInfo.
func InfoOf(p string, fi fs.FileInfo) FileInfo { return fromOS(p, fi) }
