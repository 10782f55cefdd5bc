package oval

import (
	"regexp"
	"testing"
)

// TestOneLineShortcut: the "^.*$" shortcut answers as the compiled
// pattern does, newlines and invalid UTF-8 included.
func TestOneLineShortcut(t *testing.T) {
	re, err := CompileRegex("^.*$")
	if err != nil || !re.oneLine {
		t.Fatalf("^.*$ not recognised: %v", err)
	}
	ref := regexp.MustCompile("^.*$")
	for _, s := range []string{"", "a", "passwd", "a\nb", "x\n", "\n", "\xff\xfe", "é"} {
		got, err := re.MatchString(s)
		if err != nil || got != ref.MatchString(s) {
			t.Errorf("%q: got %v (%v), want %v", s, got, err, ref.MatchString(s))
		}
	}
}
