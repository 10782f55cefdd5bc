package app

import (
	"encoding/json"
	"testing"
)

// FuzzParseWaiverState decodes an arbitrary waiver state file: errors,
// never a panic, and only records filed under their own key are kept.
func FuzzParseWaiverState(f *testing.F) {
	r := waiverRecord{Rule: "ssh.x", Justification: "lab", Expires: "2027-06-30", Source: "w.yaml:2"}
	good, _ := json.Marshal(map[string]waiverRecord{r.key(): r})
	f.Add(good)
	f.Add([]byte(`{"0123456789abcdef":{"rule":"ssh.x","justification":"forged","source":"x"}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		last, err := parseWaiverState(b)
		if err != nil {
			return
		}
		if last == nil {
			t.Fatal("nil state without an error")
		}
		for k, r := range last {
			if r.key() != k {
				t.Fatalf("record %+v kept under %q", r, k)
			}
		}
	})
}
