package drift

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLoadState loads an arbitrary drift-state.json and uses it as drift
// and watch do: never a panic, and what Update keeps is exactly the
// current items, first-seen times only from entries of the same ID.
func FuzzLoadState(f *testing.F) {
	f.Add([]byte(`{"snapshot":"sha256:d","items":{"a":{"item":{"id":"a","kind":"file","change":"modified","before":"x","after":"y","first_seen":"2026-01-02T03:04:05Z"},"notified":true}}}`))
	f.Add([]byte(`{"snapshot":"sha256:d","items":{"a":null}}`))
	f.Add([]byte(`{"snapshot":"sha256:d","items":{"a":{"item":{"id":"b"}}}}`))
	f.Add([]byte(`{"snapshot":"sha256:other","items":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, StateFile), data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, _ := LoadState(dir, "sha256:d")
		if s == nil || s.Items == nil || s.Snapshot != "sha256:d" {
			t.Fatalf("state %+v", s)
		}
		now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
		items := []Item{{ID: "a", Kind: "file"}, {ID: "c", Kind: "value"}}
		s.Update(items, now)
		s.Unnotified(items)
		if len(s.Items) != len(items) {
			t.Fatalf("%d items kept, want %d", len(s.Items), len(items))
		}
		for id, si := range s.Items {
			if si == nil || si.Item.ID != id {
				t.Fatalf("item %q is %+v", id, si)
			}
		}
		if err := s.Save(dir); err != nil {
			t.Fatal(err)
		}
	})
}
