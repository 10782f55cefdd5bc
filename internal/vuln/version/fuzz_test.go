package version

import "testing"

// FuzzCompare: every comparator is total on what it accepts and
// antisymmetric.
func FuzzCompare(f *testing.F) {
	for _, s := range [][2]string{{"1.0~rc1", "1:1.0-1"}, {"1.0a1.post2.dev3+x.1", "1!0"}, {"1.0_rc1-r2", "1.0.01a"}, {"0.0.0-20220906165146-f3363e06e74c", "go1.21rc2"}, {"1-alpha-1", "1.0.sp"}} {
		f.Add(s[0], s[1])
	}
	comps := []Comparator{Go, SemVer, PEP440, Dpkg, APK, RPM, Maven, Gem}
	f.Fuzz(func(t *testing.T, a, b string) {
		for i, c := range comps {
			x, err1 := c(a, b)
			y, err2 := c(b, a)
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("comparator %d: errors differ for %q %q: %v %v", i, a, b, err1, err2)
			}
			if err1 == nil && sign(x) != -sign(y) {
				t.Fatalf("comparator %d: compare(%q,%q)=%d but compare(%q,%q)=%d", i, a, b, x, b, a, y)
			}
		}
	})
}
