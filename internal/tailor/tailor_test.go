package tailor

import (
	"testing"
	"time"
)

func TestWaiverExpiryIsInclusive(t *testing.T) {
	ws, err := ParseWaivers("w.yaml", []byte("waivers:\n  - rule: ssh.*\n    justification: lab\n    expires: 2027-06-30\n"))
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2027, 6, 30, 23, 59, 0, 0, time.UTC)
	if w, _ := ws.Lookup("ssh.root", nil, day); w == nil {
		t.Fatal("waiver should hold through its expiry day")
	}
	if w, exp := ws.Lookup("ssh.root", nil, day.Add(2*time.Minute)); w != nil || exp == nil {
		t.Fatal("waiver should have expired the day after")
	}
	if w, _ := ws.Lookup("file.x", nil, day); w != nil {
		t.Fatal("glob matched another area")
	}
}

func TestTailoringGlobs(t *testing.T) {
	tl, err := ParseTailoring("t.yaml", []byte("select: [audit.*]\nunselect: [audit.immutable]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !tl.Selects("audit.time") || !tl.Unselects("audit.immutable") || tl.Unselects("audit.time") {
		t.Fatalf("glob semantics wrong: %+v", tl)
	}
}

func FuzzParseWaivers(f *testing.F) {
	f.Add([]byte("waivers:\n  - rule: a\n    justification: b\n    expires: 2027-01-01\n"))
	f.Add([]byte("a.b:\n  justification: x\n  expiration_date: 2027-01-01T00:00:00Z\n  run: false\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseWaivers("f.yaml", data)
	})
}

func FuzzParseTailoring(f *testing.F) {
	f.Add([]byte("profile: strict\nselect: [a.*]\nparams: {a.b: {c: 1}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseTailoring("f.yaml", data)
	})
}
