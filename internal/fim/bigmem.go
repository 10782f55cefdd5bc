package fim

import "unsafe"

// Large arrays of a walk (the database index, the entries, the string
// blocks) are asked to be backed by huge pages where the system allows
// it: on the VMs this tool is measured on a 4 KiB page fault costs
// about 17 µs, and the 30,000 faults of a check of /usr were a fifth of
// its CPU time (docs/performance.md).

// bigSlice returns make([]T, n, c), backed by huge pages where possible.
// When T holds pointers (pointers), the pages that are not huge are
// written once through: the collector scans the whole array, and its
// reading of pages never written maps the shared zero page, which the
// first real write then replaces with a second fault and a TLB
// shootdown on every core.
func bigSlice[T any](n, c int, pointers bool) []T {
	s := make([]T, n, c)
	if c == 0 {
		return s
	}
	var zero T
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s[:c]))), uintptr(c)*unsafe.Sizeof(zero))
	lo, hi := adviseHuge(b)
	if pointers {
		prefault(b[:lo])
		prefault(b[hi:])
	}
	return s
}

// prefault writes a zero into every page of b (which is zero).
func prefault(b []byte) {
	for i := 0; i < len(b); i += 4096 {
		b[i] = 0
	}
}
