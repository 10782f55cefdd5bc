package target

import "os"

// RootDir opens the root directory of a directory target (the host,
// --root) so a caller can open many files relative to it with one
// system call each (openat2 RESOLVE_BENEATH); the caller closes it. ok
// is false for other targets (images), which have no directory.
func RootDir(t Target) (f *os.File, ok bool, err error) {
	d, isDir := t.(*dirTarget)
	if !isDir {
		return nil, false, nil
	}
	f, err = d.root.Open(".")
	return f, err == nil, err
}
