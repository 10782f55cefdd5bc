package attrib

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/collect/packages"
)

// The package database and the dpkg log are read from the target:
// untrusted input that must never panic.
func FuzzParseMD5Sums(f *testing.F) {
	f.Add([]byte("623e332d8ae2db8a2d050dcce9510b47  bin/dash\n"))
	f.Add([]byte("755CDD52CC480BB5B6226850A2889137 *a b\r\n\n x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sums, _, _ := ParseMD5Sums(b)
		for _, s := range sums {
			if len(s.MD5) != 32 || s.Path == "" || s.Path[0] != '/' {
				t.Fatalf("bad sum %+v", s)
			}
		}
	})
}

func FuzzParseDpkgLog(f *testing.F) {
	f.Add([]byte("2026-12-05 08:46:43 upgrade demo:all 1.0 2.0\n2026-12-05 08:46:43 status installed demo:all 2.0\n"))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = ParseDpkgLog(b) })
}

func FuzzParseDiversions(f *testing.F) {
	f.Add([]byte("/bin/sh\n/bin/sh.distrib\ndash\n"))
	f.Fuzz(func(t *testing.T, b []byte) { _ = ParseDiversions(b) })
}

func FuzzParseRPMFiles(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 4, 0x5d, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) { _, _, _ = packages.ParseRPMFiles(b) })
}
