package fim

import (
	"crypto/sha256"
	"testing"
)

// BenchmarkSHA256 is the hashing ceiling of one core, which
// bench/fim-vs-aide.sh compares the walk's throughput with.
func BenchmarkSHA256(b *testing.B) {
	buf := make([]byte, bufSize)
	h := sha256.New()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		h.Write(buf)
	}
}
