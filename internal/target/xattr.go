package target

import "errors"

// ErrNotSupported is wrapped by errors of reads a backend cannot do
// (extended attributes of image files, or on a system without them):
// the caller records the attribute as unknown, never as empty.
var ErrNotSupported = errors.New("not supported by this target")

// Bounds of one file's extended attributes, Linux's own limits
// (XATTR_LIST_MAX, XATTR_SIZE_MAX): a hostile tree cannot make a read
// larger than the kernel would store.
const (
	MaxXattrList  = 64 << 10
	MaxXattrValue = 64 << 10
)

// Xattrs returns the extended attributes of the root-relative path
// name, without following a final symlink, as name → value; a file
// without any gives an empty map. Targets that cannot read them return
// an error wrapping ErrNotSupported. Callers reading many files use
// BulkOpener.Xattrs, which keeps the root open.
func Xattrs(t Target, name string) (map[string][]byte, error) {
	op, err := OpenBulk(t)
	if err != nil {
		return nil, err
	}
	defer op.Close()
	return op.Xattrs(name)
}
