package jsonindent

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestAppendMatchesEncodingJSON(t *testing.T) {
	for _, doc := range []string{
		`{}`, `[]`, `{"a":[]}`, `{"a":{}}`, `[[],[{}],{"b":[1,2,{"c":null}]}]`,
		`{"s":"quote \" colon : comma , brace { } bracket [ ]","t":"\\","u":"\\\""}`,
		`{"n":-1.5e+10,"b":true,"f":false,"z":null,"e":"\u003chtml\u003e"}`,
		`"just a string"`, `42`, `{"deep":[[[[[[[[[[1]]]]]]]]]]}`,
	} {
		check(t, []byte(doc))
	}
}

func FuzzIndent(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"c\"d"}],"e":{}}`, `[[],{}]`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			t.Fatal(err)
		}
		check(t, compact.Bytes())
	})
}

func check(t *testing.T, src []byte) {
	t.Helper()
	var want bytes.Buffer
	if err := json.Indent(&want, src, "", "  "); err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	if got := Append(nil, src, "  "); !bytes.Equal(got, want.Bytes()) {
		t.Errorf("%s:\ngot  %s\nwant %s", src, got, want.Bytes())
	}
}

// Encode writes what json.Encoder with SetIndent writes.
func TestEncodeMatchesEncoder(t *testing.T) {
	v := map[string]any{"html": "<a&b>", "list": []any{1, "x", nil, map[string]any{}}, "empty": []int{}}
	var want, got bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if err := Encode(&got, v, "  "); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("got\n%s\nwant\n%s", got.String(), want.String())
	}
}

func BenchmarkAppend(b *testing.B) {
	var doc []map[string]any
	for i := range 2000 {
		doc = append(doc, map[string]any{"rule_id": "xccdf_org.ssgproject.content_rule_x", "status": "pass", "n": i,
			"evidence": []string{"/etc/ssh/sshd_config:12: PermitRootLogin no", "a \"quoted\" value"}})
	}
	src, _ := json.Marshal(doc)
	b.SetBytes(int64(len(src)))
	b.Run("jsonindent", func(b *testing.B) {
		var dst []byte
		for b.Loop() {
			dst = Append(dst[:0], src, "  ")
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		var dst bytes.Buffer
		for b.Loop() {
			dst.Reset()
			json.Indent(&dst, src, "", "  ")
		}
	})
}
