package catalogers

import (
	"encoding/binary"
	"io"
	"path"
	"strings"
)

// isPEName: the suffixes Windows executables and libraries ship under.
// Outside the system directories the unpackaged-file cataloger looks at
// these only (a Python wheel's launcher stubs, an installer's
// helpers): on a Linux system they are not run, but they are shipped.
func isPEName(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".exe", ".dll", ".sys", ".efi":
		return true
	}
	return false
}

// maxPEHeaderOffset bounds where the PE signature may sit: the DOS
// header's e_lfanew; linkers put it within the first few hundred bytes.
const maxPEHeaderOffset = 64 << 10

// isPE reports whether the content is a Portable Executable: the DOS
// header's "MZ", then "PE\0\0" at the offset its e_lfanew field (at
// 0x3c) gives. A DOS-only program (MZ without the PE header) is not one.
func isPE(ra io.ReaderAt, size int64) bool {
	var h [0x40]byte
	if size < int64(len(h)) {
		return false
	}
	if _, err := ra.ReadAt(h[:], 0); err != nil || h[0] != 'M' || h[1] != 'Z' {
		return false
	}
	off := int64(binary.LittleEndian.Uint32(h[0x3c:]))
	if off < int64(len(h)) || off > maxPEHeaderOffset || off+4 > size {
		return false
	}
	var sig [4]byte
	if _, err := ra.ReadAt(sig[:], off); err != nil {
		return false
	}
	return sig == [4]byte{'P', 'E', 0, 0}
}
