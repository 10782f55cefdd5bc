//go:build !linux

package target

import (
	"io"
	"os"
)

// beneath is the Linux fast path of the directory target
// (dirfast_linux.go); elsewhere every name goes through the resolver.
type beneath struct{}

func newBeneath(*os.Root) *beneath { return nil }

func (*beneath) close()                                {}
func (*beneath) lstat(string) (FileInfo, bool)         { return FileInfo{}, false }
func (*beneath) stat(string) (FileInfo, bool)          { return FileInfo{}, false }
func (*beneath) readlink(string) (string, bool)        { return "", false }
func (*beneath) openFile(string) (io.ReadCloser, bool) { return nil, false }
func (*beneath) openDir(string) (*os.File, bool)       { return nil, false }
