package sbom

import (
	"bufio"
	"io"
)

// indentWriter lays out compact JSON (as encoding/json writes it) with
// two-space indentation while it streams, byte for byte as json.Indent
// would, so a large document is never held a second time just to be
// indented. It expects encoding/json's compact output: no whitespace
// outside strings but the final newline.
type indentWriter struct {
	w          *bufio.Writer
	depth      int
	needIndent bool
	inString   bool
	escaped    bool
}

func newIndentWriter(w io.Writer) *indentWriter {
	return &indentWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

func (iw *indentWriter) newline() {
	iw.w.WriteByte('\n')
	for range iw.depth {
		iw.w.WriteString("  ")
	}
}

func (iw *indentWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		if iw.inString {
			iw.w.WriteByte(c)
			switch {
			case iw.escaped:
				iw.escaped = false
			case c == '\\':
				iw.escaped = true
			case c == '"':
				iw.inString = false
			}
			continue
		}
		if iw.needIndent && c != '}' && c != ']' {
			iw.needIndent = false
			iw.depth++
			iw.newline()
		}
		switch c {
		case '"':
			iw.inString = true
			iw.w.WriteByte(c)
		case '{', '[':
			// Delayed, so that an empty object or array stays {} or [].
			iw.needIndent = true
			iw.w.WriteByte(c)
		case ',':
			iw.w.WriteByte(c)
			iw.newline()
		case ':':
			iw.w.WriteString(": ")
		case '}', ']':
			if iw.needIndent {
				iw.needIndent = false
			} else {
				iw.depth--
				iw.newline()
			}
			iw.w.WriteByte(c)
		default:
			iw.w.WriteByte(c)
		}
	}
	return len(p), nil
}

// Flush writes what is buffered.
func (iw *indentWriter) Flush() error { return iw.w.Flush() }
