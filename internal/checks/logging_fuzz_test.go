package checks

import "testing"

func FuzzSystemdTimespan(f *testing.F) {
	for _, s := range []string{"90d", "1month 2w", "3600", "1.5h", "", "9999999999999y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := SystemdTimespan(s); ok && d < 0 {
			t.Errorf("%q: negative %v", s, d)
		}
	})
}
