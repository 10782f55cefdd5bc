package sbom

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestIndentWriter: the streaming indentation is json.Encoder's with
// SetIndent("", "  "), byte for byte, however the input is split.
func TestIndentWriter(t *testing.T) {
	values := []any{
		map[string]any{},
		[]any{},
		map[string]any{"a": []any{}, "b": map[string]any{}, "c": []any{1, "x", nil, true}},
		map[string]any{"s": `quote " back \ slash {[,:]} ` + "\u2028 \n tab\t", "n": 1.5e300, "k": map[string]any{"x": []any{map[string]any{"y": []any{[]any{}}}}}},
		"top-level string",
		42,
	}
	for _, v := range values {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		var compact bytes.Buffer
		enc = json.NewEncoder(&compact)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		for _, chunk := range []int{1, 3, 1 << 20} {
			var got bytes.Buffer
			iw := newIndentWriter(&got)
			b := compact.Bytes()
			for len(b) > 0 {
				n := min(chunk, len(b))
				iw.Write(b[:n])
				b = b[n:]
			}
			if err := iw.Flush(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("chunk %d:\ngot  %q\nwant %q", chunk, got.String(), want.String())
			}
		}
	}
}
