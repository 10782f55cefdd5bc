package output

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds cradle convert's parser arbitrary bytes: it must not
// panic, every error must be a usage error, and a document it accepts must
// render in every format of its kind, its JSON reading back to the same
// JSON.
func FuzzDecode(f *testing.F) {
	for _, p := range []string{"../render/testdata/report.json.golden", "../render/testdata/empty.json.golden", "../fix/testdata/plan.json.golden", "../fim/testdata/check.json.golden", "../fim/testdata/show.json.golden"} {
		if b, err := os.ReadFile(filepath.FromSlash(p)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"schema_version":"1.0","kind":"watch_event","event":"drift","time":"2026-01-02T03:04:05Z","target":"host","item":{"id":"x","kind":"value","change":"changed","before":"a","after":"b","first_seen":"2026-01-02T03:04:05Z"}}` + "\n"))
	f.Add([]byte(`{"schema_version":"1.0","kind":"run_list","target":"host","runs":[{"id":"r","time":"2026-01-02T03:04:05Z","rolled_back_at":null}]}`))
	f.Add([]byte(`{"schema_version":"1.0","kind":"change_log","entries":[{"seq":1,"details":{"a":1}}]}`))
	f.Add([]byte(`{"schema_version":"1.0","kind":"drift_report","items":[]}`))
	f.Add([]byte(`{"schema_version":"1","plan":[]}`))
	reg := Default()
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, doc, err := reg.Decode("fuzz.json", data)
		if err != nil {
			if !IsUsage(err) {
				t.Fatalf("not a usage error: %v", err)
			}
			return
		}
		for _, format := range spec.Formats() {
			rnd, _ := reg.Lookup(spec.Kind, format)
			if err := rnd(io.Discard, doc, Options{Verbose: true}); err != nil {
				t.Fatalf("%s as %s: %v", spec.Kind, format, err)
			}
		}
		var first bytes.Buffer
		rnd, _ := reg.Lookup(spec.Kind, "json")
		if err := rnd(&first, doc, Options{}); err != nil {
			t.Fatal(err)
		}
		_, back, err := reg.Decode("again.json", first.Bytes())
		if err != nil {
			t.Fatalf("own JSON does not read back: %v\n%s", err, first.Bytes())
		}
		var second bytes.Buffer
		if err := rnd(&second, back, Options{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("JSON not stable:\n%s\n---\n%s", first.Bytes(), second.Bytes())
		}
	})
}
