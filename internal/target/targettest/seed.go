package targettest

import (
	"os"
	"strconv"
	"testing"
)

// Seed is the seed of a differential test's generated cases: def, or
// CRADLE_DIFF_SEED to replay the seed a failure printed.
func Seed(t testing.TB, def uint64) uint64 {
	t.Helper()
	s := os.Getenv("CRADLE_DIFF_SEED")
	if s == "" {
		return def
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("CRADLE_DIFF_SEED: %v", err)
	}
	return n
}
