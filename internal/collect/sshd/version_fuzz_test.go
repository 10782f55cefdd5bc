package sshd

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParseVersion: a version is read only from digits of the input, the
// major release is plausible, and it prints back as major.minor.
func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1:9.2p1-2+deb12u3", "8.7p1-38.el9", "9.6p1", "1:", "0.1", "100.1", "7.", ":::9.9", "9.99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := ParseVersion(s)
		if !ok {
			if v != (Version{}) {
				t.Fatalf("failed parse returned %+v", v)
			}
			return
		}
		if v.Major < 1 || v.Major > 99 || v.Minor < 0 {
			t.Fatalf("%q parsed as %+v", s, v)
		}
		if !strings.Contains(s, strconv.Itoa(v.Major)+".") || v.String() != strconv.Itoa(v.Major)+"."+strconv.Itoa(v.Minor) {
			t.Fatalf("%q parsed as %+v (%s)", s, v, v)
		}
		if !v.AtLeast(v.Major, v.Minor) || v.AtLeast(v.Major+1, 0) {
			t.Fatalf("AtLeast inconsistent for %+v", v)
		}
	})
}
