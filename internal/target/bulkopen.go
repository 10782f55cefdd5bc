package target

import (
	"io"
	"io/fs"
)

// BulkFile is a regular file opened by a BulkOpener.
type BulkFile interface {
	io.ReadCloser
	// Stat describes the open file itself, not the path (which may have
	// changed since); ok is false when the backend cannot stat an open
	// file (image layers).
	Stat() (fi FileInfo, ok bool, err error)
}

// OpenBulk returns an opener for the many regular files of one walk
// (file integrity hashing): on a Linux directory target each open is one
// openat2 below the root, otherwise it is Target.Open. Close it after
// the walk.
func OpenBulk(t Target) (*BulkOpener, error) { return newBulkOpener(t) }

// targetBulkFile is a file opened through Target.Open.
type targetBulkFile struct {
	io.ReadCloser
	rel string
}

// statter is what files opened from a directory target are (*os.File).
type statter interface{ Stat() (fs.FileInfo, error) }

func (f targetBulkFile) Stat() (FileInfo, bool, error) {
	st, ok := f.ReadCloser.(statter)
	if !ok {
		return FileInfo{}, false, nil
	}
	fi, err := st.Stat()
	if err != nil {
		return FileInfo{}, false, err
	}
	return InfoOf(f.rel, fi), true, nil
}

func openViaTarget(t Target, rel string) (BulkFile, error) {
	rc, err := t.Open(rel)
	if err != nil {
		return nil, err
	}
	return targetBulkFile{rc, rel}, nil
}
