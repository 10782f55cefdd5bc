package cli

import "testing"

// FuzzByteSize: a size flag either is refused or holds a positive value
// that its own display form parses back to.
func FuzzByteSize(f *testing.F) {
	for _, s := range []string{"1", "4k", "512M", "16GiB", "2TB", "0", "-1", "9223372036854775807T", " 3g ", "KiB", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b byteSize
		if err := b.Set(s); err != nil {
			return
		}
		if b <= 0 {
			t.Fatalf("Set(%q) = %d, want positive", s, b)
		}
		var back byteSize
		if err := back.Set(b.String()); err != nil || back != b {
			t.Fatalf("Set(%q) = %d shown as %q, which parses to %d (%v)", s, b, b.String(), back, err)
		}
	})
}
