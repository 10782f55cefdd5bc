//go:build !linux

package fim

func adviseHuge([]byte) {}
