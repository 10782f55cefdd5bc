package textline

import (
	"slices"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"\n", []string{""}},
		{"a", []string{"a"}},
		{"a\n", []string{"a"}},
		{"a\nb", []string{"a", "b"}},
		{"a\r\nb\r\n", []string{"a", "b"}},
		{"a\n\n", []string{"a", ""}},
		{"a\rb\n", []string{"a\rb"}},
		{"\n\nx", []string{"", "", "x"}},
	} {
		if got := Split([]byte(tc.in)); !slices.Equal(got, tc.want) {
			t.Errorf("Split(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func collect(c Continued, in string) []Line {
	var out []Line
	for l := range c.Lines([]byte(in)) {
		out = append(out, l)
	}
	return out
}

func TestContinued(t *testing.T) {
	comment := func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), "#") }
	for _, tc := range []struct {
		name string
		c    Continued
		in   string
		want []Line
	}{
		{"plain", Continued{}, "a\nb\n", []Line{{Num: 1, Text: "a"}, {Num: 2, Text: "b"}}},
		{"joined", Continued{}, "a \\\n  b\\\nc\nd\n", []Line{{Num: 1, Text: "a    b c"}, {Num: 4, Text: "d"}}},
		{"crlf", Continued{}, "a\\\r\nb\r\n", []Line{{Num: 1, Text: "a b"}}},
		{"unterminated", Continued{}, "a\nb \\\n", []Line{{Num: 1, Text: "a"}, {Num: 2, Text: "b  ", Unterminated: true}}},
		{"unterminated without newline", Continued{}, "b \\", []Line{{Num: 1, Text: "b  ", Unterminated: true}}},
		{"blank after backslash ends the line", Continued{}, "a\\ \nb\n", []Line{{Num: 1, Text: "a\\ "}, {Num: 2, Text: "b"}}},
		{"trailing blanks allowed", Continued{TrailingBlanks: true}, "a\\ \t\nb\n", []Line{{Num: 1, Text: "a b"}}},
		{"comment does not continue", Continued{NoContinue: comment}, "# x \\\ny\n", []Line{{Num: 1, Text: "# x \\"}, {Num: 2, Text: "y"}}},
		{"comment continues", Continued{}, "# x \\\ny\n", []Line{{Num: 1, Text: "# x  y"}}},
		{"too long", Continued{Max: 8}, "12345\\\n67890\nok\n", []Line{{Num: 1, TooLong: true}, {Num: 3, Text: "ok"}}},
		{"long physical line", Continued{Max: 4}, "123456789\nok\n", []Line{{Num: 1, TooLong: true}, {Num: 2, Text: "ok"}}},
		{"empty", Continued{}, "", nil},
		{"blank lines keep numbers", Continued{}, "\n\nx\n", []Line{{Num: 1}, {Num: 2}, {Num: 3, Text: "x"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := collect(tc.c, tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestLinesStopsEarly(t *testing.T) {
	n := 0
	for range (Continued{}).Lines([]byte("a\nb\nc\n")) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatal(n)
	}
}

func FuzzContinued(f *testing.F) {
	f.Add([]byte("a \\\nb\n# c \\\nd\\"), 16)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		c := Continued{Max: max, NoContinue: func(l string) bool { return strings.HasPrefix(l, "#") }}
		last := 0
		for l := range c.Lines(b) {
			if l.Num <= last {
				t.Fatalf("line numbers not increasing: %d after %d", l.Num, last)
			}
			last = l.Num
			if max > 0 && len(l.Text) > max {
				t.Fatalf("line of %d bytes over max %d", len(l.Text), max)
			}
			if l.TooLong && l.Text != "" {
				t.Fatal("too-long line with text")
			}
		}
	})
}
