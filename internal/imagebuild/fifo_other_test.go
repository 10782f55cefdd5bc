//go:build !linux

package imagebuild

func mkfifo(string) error { return nil }
