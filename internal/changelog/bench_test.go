package changelog

import (
	"context"
	"testing"
)

// BenchmarkAppend measures one crash-safe append (write-ahead file, line,
// head, each synced).
func BenchmarkAppend(b *testing.B) {
	l := newLog(b, testKey(b))
	for b.Loop() {
		if _, err := l.Append(context.Background(), Entry{Action: ActionNote, Reason: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify1000 verifies a log of 1000 entries, as drift does on
// every evaluation (LatestApproval).
func BenchmarkVerify1000(b *testing.B) {
	k := testKey(b)
	l := newLog(b, k)
	appendN(b, l, 1000)
	keys := keyring(k)
	for b.Loop() {
		if _, _, err := l.LatestApproval(keys); err != nil && err != ErrNoApproval {
			b.Fatal(err)
		}
	}
}
