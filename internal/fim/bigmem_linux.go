//go:build linux

package fim

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePage is the size of a transparent huge page on amd64 and arm64
// (4 KiB base pages).
const hugePage = 2 << 20

// adviseHuge asks for huge pages for the whole huge pages within b
// (MADV_HUGEPAGE: honoured when transparent huge pages are enabled for
// advised memory, ignored otherwise); the rest of b may share its
// pages with other objects and is left alone.
func adviseHuge(b []byte) {
	if len(b) < hugePage {
		return
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (start + hugePage - 1) &^ (hugePage - 1)
	hi := (start + uintptr(len(b))) &^ (hugePage - 1)
	if hi > lo {
		_ = unix.Madvise(b[lo-start:hi-start], unix.MADV_HUGEPAGE) // advice only
	}
}
