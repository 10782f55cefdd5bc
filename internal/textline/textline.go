// Package textline splits configuration file content into lines, the one
// way every collector and validator does it: physical lines (Split) and
// logical lines joined by a trailing backslash (Continued.Lines). Content
// is already bounded by the reader (target.ReadFile), so physical lines
// have no length limit of their own; logical lines do (Continued.Max), so
// a hostile file cannot build one unbounded string from many lines.
package textline

import (
	"iter"
	"strings"
)

// Split splits b into lines: no "\n", a trailing "\r" dropped, and no
// empty last element for a final newline ("a\nb\n" and "a\nb" both give
// [a b]). Empty content gives no lines.
func Split(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// Continued describes how a format continues lines with a trailing
// backslash. The zero value continues every line ending in `\`, with no
// bound.
type Continued struct {
	// TrailingBlanks lets blanks after the backslash still continue the
	// line (kvconf's lenient formats).
	TrailingBlanks bool
	// NoContinue reports physical lines whose trailing backslash does not
	// continue them (comments, in formats where a comment ends at the
	// newline).
	NoContinue func(line string) bool
	// Max bounds a logical line in bytes; 0 means no bound.
	Max int
}

// Line is one logical line.
type Line struct {
	// Num is the 1-based number of its first physical line.
	Num int
	// Text is the physical lines joined, each continuing backslash
	// replaced by one space; empty when TooLong.
	Text string
	// TooLong is set when the joined line exceeds Continued.Max; the
	// caller decides whether to skip it or refuse the content.
	TooLong bool
	// Unterminated is set on a last line the content ended in the middle
	// of (its last physical line ends with a continuing backslash).
	Unterminated bool
}

// Lines yields the logical lines of b in order.
func (c Continued) Lines(b []byte) iter.Seq[Line] {
	return func(yield func(Line) bool) {
		var acc strings.Builder
		start, tooLong := 0, false
		add := func(s string) {
			if !tooLong && c.Max > 0 && acc.Len()+len(s) > c.Max {
				tooLong = true
				acc.Reset()
			}
			if !tooLong {
				acc.WriteString(s)
			}
		}
		emit := func(unterminated bool) bool {
			l := Line{Num: start, Text: acc.String(), TooLong: tooLong, Unterminated: unterminated}
			acc.Reset()
			start, tooLong = 0, false
			return yield(l)
		}
		for i, line := range Split(b) {
			if start == 0 {
				start = i + 1
			}
			if rest, ok := c.continues(line); ok {
				add(rest)
				add(" ")
				continue
			}
			add(line)
			if !emit(false) {
				return
			}
		}
		if start != 0 {
			emit(true)
		}
	}
}

// continues reports whether line continues on the next one, and returns
// it without the backslash.
func (c Continued) continues(line string) (string, bool) {
	t := line
	if c.TrailingBlanks {
		t = strings.TrimRight(line, " \t")
	}
	rest, ok := strings.CutSuffix(t, `\`)
	if !ok || (c.NoContinue != nil && c.NoContinue(line)) {
		return line, false
	}
	return rest, true
}

// Each calls fn with the number and text of every logical line of b,
// skipping lines over Max (a parser ignores what it cannot read, and a
// long line does not hide the lines after it).
func (c Continued) Each(b []byte, fn func(num int, line string)) {
	for l := range c.Lines(b) {
		if !l.TooLong {
			fn(l.Num, l.Text)
		}
	}
}
