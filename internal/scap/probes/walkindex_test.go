package probes

import (
	"io/fs"
	"testing"
)

// TestPackMode: a walk entry's packed mode gives back the mode the walk
// reported, for every file type and special bit.
func TestPackMode(t *testing.T) {
	types := []fs.FileMode{0, fs.ModeDir, fs.ModeSymlink, fs.ModeDevice | fs.ModeCharDevice, fs.ModeDevice, fs.ModeNamedPipe, fs.ModeSocket, fs.ModeIrregular}
	for _, typ := range types {
		for _, bits := range []fs.FileMode{0, 0o777, 0o644, fs.ModeSetuid | 0o755, fs.ModeSetgid | 0o750, fs.ModeSticky | 0o777, fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky | 0o7} {
			m := typ | bits
			e := entry{mode: packMode(m)}
			if got := e.fmode(); got != m {
				t.Errorf("%v: got %v", m, got)
			}
			if e.isDir() != m.IsDir() {
				t.Errorf("%v: isDir %v", m, e.isDir())
			}
		}
	}
}
