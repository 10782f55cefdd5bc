package output

import (
	"encoding/json"
	"io"
	"strings"
)

// indentJSON writes v as JSON indented by two spaces, the layout of every
// cradle document.
func indentJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// JSONLine encodes v as one line of a JSON Lines stream (watch events).
func JSONLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// cell makes an untrusted field safe for one table cell: control
// characters (terminal escapes, tabs, newlines) are replaced and long text
// is shortened; empty shows as "-".
func cell(s string) string {
	if s == "" {
		return "-"
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 60 {
		s = string(r[:59]) + "…"
	}
	return s
}

// dash shows an empty field as "-".
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
