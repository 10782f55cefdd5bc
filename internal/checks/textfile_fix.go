package checks

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// Line editing shared by the native fixes: files are split on "\n" so that
// joining the pieces again gives back every byte that was not edited (a
// final newline shows as a last empty element).

// commentPrefix marks lines a fix disabled, so an administrator can find
// and restore them.
const commentPrefix = fixDisabledPrefix

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
	return &textFile{path: p, lines: strings.Split(string(b), "\n"), exists: err == nil}, nil
}

func (f *textFile) bytes() []byte { return []byte(strings.Join(f.lines, "\n")) }

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
	if l := f.line(n); l != "" && !strings.HasPrefix(l, commentPrefix) {
		f.set(n, commentPrefix+l)
	}
}

// continued returns the last physical line of the logical line starting
// at n when a trailing backslash joins lines.
func (f *textFile) continued(n int) int {
	for n < len(f.lines) && strings.HasSuffix(strings.TrimRight(f.line(n), " \t\r"), `\`) {
		n++
	}
	return n
}

// insert places s before physical line n (1-based); n past the content
// appends.
func (f *textFile) insert(n int, s string) {
	if n < 1 {
		n = 1
	}
	if n > len(f.lines) || n == len(f.lines) && f.lines[n-1] == "" {
		f.appendLine(s)
		return
	}
	f.lines = append(f.lines[:n-1], append([]string{s}, f.lines[n-1:]...)...)
}

// appendLine adds s as the last line, keeping a final newline.
func (f *textFile) appendLine(s string) {
	if k := len(f.lines); k > 0 && f.lines[k-1] == "" {
		f.lines = append(f.lines[:k-1], s, "")
		return
	}
	f.lines = append(f.lines, s, "")
}

// write records the content on ch; perm applies to a new file only.
func (f *textFile) write(ch *remedy.Changes, perm fs.FileMode, summary string) error {
	return ch.WriteFile(f.path, f.bytes(), perm, summary)
}

// leadingBlank returns the indentation of s.
func leadingBlank(s string) string {
	return s[:len(s)-len(strings.TrimLeft(s, " \t"))]
}
