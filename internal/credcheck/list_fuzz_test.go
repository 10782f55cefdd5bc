package credcheck

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParseList: every password of the list is kept once, in order,
// whatever the line lengths and line endings; comments and blank lines
// are dropped.
func FuzzParseList(f *testing.F) {
	f.Add("root\n# comment\n\ntoor\r\nroot\nadmin")
	f.Add(strings.Repeat("x", 70000) + "\nafter a long line\n")
	f.Fuzz(func(t *testing.T, s string) {
		got := ParseList(s)
		var want []string
		for _, l := range strings.Split(s, "\n") {
			l = strings.TrimRight(l, "\r")
			if l != "" && !strings.HasPrefix(l, "#") && !slices.Contains(want, l) {
				want = append(want, l)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("ParseList = %.200q, want %.200q", got, want)
		}
	})
}
