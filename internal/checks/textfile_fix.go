package checks

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// The line model of every native fix that edits a text file.
//
// Content is split on "\n" into lines without their newline; a "\r" stays
// part of its line, so a CRLF file keeps its line ends. Lines an edit does
// not touch keep their bytes. A file cradle writes always ends with a
// newline: joining puts "\n" after every line, so the one byte an edit may
// add besides its own lines is the missing final newline of a file that
// had none (an appended line never runs on from the old last line). Empty
// content has no lines and is written empty.

// fixDisabledPrefix marks a line cradle commented out, so an administrator
// (or a rollback reviewer) can see what was neutralised and why.
const fixDisabledPrefix = "#cradle: "

// fixLines splits content into lines (see the model above).
func fixLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// fixJoin is the inverse of fixLines, ending the content with a newline.
func fixJoin(lines []string) []byte {
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// commentOut disables line l by prefixing fixDisabledPrefix. Blank lines
// and lines cradle already disabled are left alone (ok false). Other
// lines starting with "#" are not assumed to be comments: in sudoers,
// "#1000 ALL=…" is a rule for uid 1000.
func commentOut(l string) (string, bool) {
	if strings.TrimSpace(l) == "" || strings.HasPrefix(l, fixDisabledPrefix) {
		return l, false
	}
	return fixDisabledPrefix + l, true
}

// textFile is a file's planned content as lines.
type textFile struct {
	path   string // root-relative
	lines  []string
	exists bool
}

// readText reads name's planned content; a missing file is empty.
func readText(ch *remedy.Changes, name string) (*textFile, error) {
	p := target.Clean(name)
	b, err := ch.ReadFile(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", target.Abs(p), err)
	}
	return &textFile{path: p, lines: fixLines(b), exists: err == nil}, nil
}

func (f *textFile) bytes() []byte { return fixJoin(f.lines) }

// line returns physical line n (1-based), or "" when out of range.
func (f *textFile) line(n int) string {
	if n < 1 || n > len(f.lines) {
		return ""
	}
	return f.lines[n-1]
}

func (f *textFile) set(n int, s string) {
	if n >= 1 && n <= len(f.lines) {
		f.lines[n-1] = s
	}
}

// comment disables physical line n (idempotent).
func (f *textFile) comment(n int) {
	if c, ok := commentOut(f.line(n)); ok {
		f.set(n, c)
	}
}

// continued returns the last physical line of the logical line starting
// at n when a trailing backslash joins lines.
func (f *textFile) continued(n int) int {
	for n < len(f.lines) && continues(f.line(n)) {
		n++
	}
	return n
}

// insert places s before physical line n (1-based); n past the content
// appends. A line never goes right after one whose trailing backslash continues
// it (the formats that join lines would read s as part of it): it goes
// after that logical line, and a logical line left open at the end of
// the file is closed with a blank line first.
func (f *textFile) insert(n int, s string) {
	n = min(max(n, 1), len(f.lines)+1)
	if n > 1 && continues(f.line(n-1)) {
		n = f.continued(n-1) + 1
		if continues(f.line(n - 1)) {
			f.lines = append(f.lines, "")
			n++
		}
	}
	f.lines = slices.Insert(f.lines, n-1, s)
}

// appendLine adds s as the last line.
func (f *textFile) appendLine(s string) { f.insert(len(f.lines)+1, s) }

// continues reports whether line ends with a continuing backslash.
func continues(line string) bool {
	return strings.HasSuffix(strings.TrimRight(line, " \t\r"), `\`)
}

// write records the content on ch; perm applies to a new file only.
func (f *textFile) write(ch *remedy.Changes, perm fs.FileMode, summary string) error {
	return ch.WriteFile(f.path, f.bytes(), perm, summary)
}

// leadingBlank returns the indentation of s.
func leadingBlank(s string) string {
	return s[:len(s)-len(strings.TrimLeft(s, " \t"))]
}
