package app

import (
	"strconv"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/drift"
	"github.com/cradle-cra/cradle/internal/fim"
)

// MaxNice is the highest --nice level (setpriority(2)).
const MaxNice = 19

// WalkProgress is implemented by front ends that draw the progress of a
// file integrity walk (FIMInput.Progress): entries recorded, files and
// bytes hashed, time since the walk started; final is the last call.
type WalkProgress interface {
	Walk(entries, hashed, bytes int64, elapsed time.Duration, final bool)
}

// ParseRate parses a --max-rate value: bytes per second, with an
// optional binary suffix K, M, G or T (and an ignored "B" or "/s"):
// "50M" is 50 MiB/s. "0" or "" is unlimited.
func ParseRate(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), "/s")
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "i")
	if t == "" {
		return 0, nil
	}
	mult := int64(1)
	if i := strings.IndexAny(t, "KkMmGgTt"); i == len(t)-1 {
		mult = int64(1) << (10 * (1 + strings.IndexByte("kmgt", t[i]|0x20)))
		t = t[:i]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, Usagef("--max-rate %q: want bytes per second such as 50M", s)
	}
	return n * mult, nil
}

// fimWalkOptions checks the throttling input, lowers the process's CPU
// and I/O priority for --nice and builds the walk's options.
func (a *App) fimWalkOptions(in FIMInput, prev fim.Lender, start time.Time) (fim.Options, error) {
	if in.Nice < 0 || in.Nice > MaxNice {
		return fim.Options{}, Usagef("--nice %d: want 0 to %d", in.Nice, MaxNice)
	}
	if in.MaxRate < 0 {
		return fim.Options{}, Usagef("--max-rate %d: want a positive rate", in.MaxRate)
	}
	if in.Nice > 0 {
		// The walk's own threads and those it starts inherit both.
		a.warn(drift.LowerPriority(in.Nice, "idle"))
	}
	o := fim.Options{Lender: prev, Full: in.Full, OneFileSystem: in.OneFileSystem, MaxRate: in.MaxRate}
	if wp, ok := in.Progress.(WalkProgress); ok {
		// The final call is fimWalk's, with the snapshot's counts.
		o.Progress = func(p fim.Progress) { wp.Walk(p.Entries, p.Hashed, p.Bytes, time.Since(start), false) }
	}
	return o, nil
}
