package fim

import (
	"os"
	"runtime/debug"
)

// MemoryLimit is the soft limit of the Go runtime's memory that
// LimitMemory sets: the entries of a system tree (a check holds its walk
// and the database's lending index at once, about 100 MB for /usr's
// 150k entries) stay under it, while the default collector pacing lets
// the heap grow to twice what is live before collecting, which put the
// peak of a /usr check above 150 MB.
const MemoryLimit = 112 << 20

// LimitMemory sets the runtime's soft memory limit to MemoryLimit for a
// process whose work is a walk, unless GOMEMLIMIT chooses one. It is a
// limit on collection pacing only: a larger live heap still grows past
// it (collecting more often as it does).
func LimitMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
}
