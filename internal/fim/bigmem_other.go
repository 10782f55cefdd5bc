//go:build !linux

package fim

func adviseHuge([]byte) (lo, hi int) { return 0, 0 }
