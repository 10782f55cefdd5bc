//go:build !linux

package integration

func xattrs(string) string { return "" }
