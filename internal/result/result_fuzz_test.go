package result

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeResult: a saved result either is refused or decodes to one
// whose severity round-trips and whose bounded evidence stays within its
// limits.
func FuzzDecodeResult(f *testing.F) {
	f.Add([]byte(`{"id":"a","severity":"high","status":"fail","evidence":[{"observed":"x"}]}`))
	f.Add([]byte(`{"severity":"critical"}`))
	f.Add([]byte(`{"severity":"nope"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Result
		if err := json.Unmarshal(b, &r); err != nil {
			return
		}
		if s, err := ParseSeverity(r.Severity.String()); r.Severity != 0 && (err != nil || s != r.Severity) {
			t.Fatalf("severity %d shown as %q parses to %d (%v)", r.Severity, r.Severity, s, err)
		}
		r.BoundEvidence(2)
		if len(r.Evidence) > 3 {
			t.Fatalf("%d evidence items after BoundEvidence(2)", len(r.Evidence))
		}
		for _, ev := range append(r.Evidence, Evidence{Observed: r.Reason}) {
			for _, s := range []string{ev.Expected, ev.Observed, ev.File, ev.Note} {
				if len(s) > MaxEvidenceText+64 {
					t.Fatalf("text of %d bytes after BoundEvidence", len(s))
				}
			}
		}
	})
}
