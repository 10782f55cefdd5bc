package fim

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestMergeIsCompare: the streamed comparison gives exactly Compare's
// changes, on random pairs of sorted entry lists.
func TestMergeIsCompare(t *testing.T) {
	p := mustPolicy(t, "paths:\n  - path: /\n")
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func() []*Entry {
		var out []*Entry
		for i := range 40 {
			if rng.IntN(3) == 0 {
				continue
			}
			e := &Entry{Path: fmt.Sprintf("/d/%02d", i), Type: TypeFile, Mode: 0o644, Size: int64(rng.IntN(2)), SHA256: fmt.Sprint(rng.IntN(2))}
			if rng.IntN(5) == 0 {
				e.Type = TypeDir
			}
			out = append(out, e)
		}
		return out
	}
	for range 200 {
		old, cur := gen(), gen()
		m := NewMerge(cur, p)
		for _, o := range old {
			if err := m.Old(o); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := m.Changes(), Compare(old, cur, p); !reflect.DeepEqual(got, want) {
			t.Fatalf("merge %v\ncompare %v", got, want)
		}
	}
	m := NewMerge(nil, p)
	if m.Old(&Entry{Path: "/b"}) != nil || m.Old(&Entry{Path: "/a"}) == nil {
		t.Error("entries out of order accepted")
	}
}
