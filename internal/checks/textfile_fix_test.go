package checks

import (
	"slices"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
)

// TestLineModel pins the one line model of the native fixes: untouched
// bytes survive, "\r" stays, and a written file ends with a newline.
func TestLineModel(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		lines []string
		out   string // fixJoin(fixLines(in))
	}{
		{"empty", "", nil, ""},
		{"one blank line", "\n", []string{""}, "\n"},
		{"terminated", "a\nb\n", []string{"a", "b"}, "a\nb\n"},
		{"no final newline gains one", "a\nb", []string{"a", "b"}, "a\nb\n"},
		{"trailing blank lines kept", "a\n\n\n", []string{"a", "", ""}, "a\n\n\n"},
		{"crlf kept", "a\r\nb\r\n", []string{"a\r", "b\r"}, "a\r\nb\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fixLines([]byte(tc.in))
			if !slices.Equal(got, tc.lines) {
				t.Errorf("fixLines(%q) = %q, want %q", tc.in, got, tc.lines)
			}
			if out := string(fixJoin(got)); out != tc.out {
				t.Errorf("fixJoin = %q, want %q", out, tc.out)
			}
		})
	}
}

func TestTextFileEdits(t *testing.T) {
	tg := fxTree(t, map[string]string{
		"etc/a.conf":      "one\ntwo\n",
		"etc/noeol.conf":  "one\ntwo",
		"etc/sudoers.d/x": "#1000 ALL=(ALL) NOPASSWD: ALL\n#cradle: old\n\nlast \\\n  cont\n",
	})
	ch := remedy.New(tg)
	ch.Begin("r", remedy.Meta{})
	edit := func(name string, fn func(f *textFile)) string {
		t.Helper()
		f, err := readText(ch, name)
		if err != nil {
			t.Fatal(err)
		}
		fn(f)
		return string(f.bytes())
	}
	for _, tc := range []struct {
		name, file string
		fn         func(f *textFile)
		want       string
	}{
		{"append", "etc/a.conf", func(f *textFile) { f.appendLine("three") }, "one\ntwo\nthree\n"},
		{"append after a last line without newline", "etc/noeol.conf", func(f *textFile) { f.appendLine("three") }, "one\ntwo\nthree\n"},
		{"edit a file without final newline", "etc/noeol.conf", func(f *textFile) { f.set(1, "ONE") }, "ONE\ntwo\n"},
		{"insert first", "etc/a.conf", func(f *textFile) { f.insert(1, "zero") }, "zero\none\ntwo\n"},
		{"insert before last", "etc/a.conf", func(f *textFile) { f.insert(2, "1.5") }, "one\n1.5\ntwo\n"},
		{"insert past the end appends", "etc/a.conf", func(f *textFile) { f.insert(99, "end") }, "one\ntwo\nend\n"},
		{"insert before 1 prepends", "etc/a.conf", func(f *textFile) { f.insert(-3, "first") }, "first\none\ntwo\n"},
		{"missing file", "etc/new.conf", func(f *textFile) { f.appendLine("x") }, "x\n"},
		{"missing file untouched", "etc/new.conf", func(*textFile) {}, ""},
		{"comment: uid rule, not a comment", "etc/sudoers.d/x", func(f *textFile) {
			for n := 1; n <= 3; n++ {
				f.comment(n)
			}
		}, "#cradle: #1000 ALL=(ALL) NOPASSWD: ALL\n#cradle: old\n\nlast \\\n  cont\n"},
		{"continued", "etc/sudoers.d/x", func(f *textFile) {
			if f.continued(4) != 5 || f.continued(5) != 5 || f.continued(1) != 1 {
				t.Errorf("continued: %d %d %d", f.continued(4), f.continued(5), f.continued(1))
			}
		}, "#1000 ALL=(ALL) NOPASSWD: ALL\n#cradle: old\n\nlast \\\n  cont\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := edit(tc.file, tc.fn); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
