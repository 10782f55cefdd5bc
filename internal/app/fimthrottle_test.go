package app

import "testing"

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64 // -1: error
	}{
		{"", 0}, {"0", 0}, {"1000", 1000}, {"50M", 50 << 20}, {"50m", 50 << 20}, {"64K", 64 << 10},
		{"2G", 2 << 30}, {"1T", 1 << 40}, {"50MB", 50 << 20}, {"50MiB/s", 50 << 20},
		{"-1", -1}, {"5X", -1}, {"M", -1}, {"1.5M", -1}, {"99999999999T", -1},
	} {
		got, err := ParseRate(tc.in)
		if err != nil {
			got = -1
			if ClassOf(err) != Usage {
				t.Errorf("%q: %v is not a usage error", tc.in, err)
			}
		}
		if got != tc.want {
			t.Errorf("%q: got %d, want %d", tc.in, got, tc.want)
		}
	}
}
