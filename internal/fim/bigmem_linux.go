//go:build linux

package fim

import (
	"bytes"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePage is the size of a transparent huge page on amd64 and arm64
// (4 KiB base pages).
const hugePage = 2 << 20

// thpAdvised reports whether transparent huge pages are given to memory
// that asks for them (the "always" or "madvise" mode).
var thpAdvised = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err == nil && (bytes.Contains(b, []byte("[always]")) || bytes.Contains(b, []byte("[madvise]")))
})

// adviseHuge asks for huge pages for the whole huge pages within b
// (MADV_HUGEPAGE) and returns their range in b, empty when the system
// gives none; the rest of b may share its pages with other objects and
// is left alone.
func adviseHuge(b []byte) (lo, hi int) {
	if len(b) < hugePage || !thpAdvised() {
		return 0, 0
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	l := int((start+hugePage-1)&^(hugePage-1) - start)
	h := int((start+uintptr(len(b)))&^(hugePage-1) - start)
	if h <= l || unix.Madvise(b[l:h], unix.MADV_HUGEPAGE) != nil {
		return 0, 0
	}
	return l, h
}
