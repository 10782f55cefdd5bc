//go:build linux

package fswalk

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/target"
)

// BenchmarkOthers is the cost of recognising other systems' trees: each
// iteration walks the benchmark tree without and then with the pruner, so
// both see the same machine load, and reports the wall and CPU time of
// each and their ratios (the detection's overhead).
func BenchmarkOthers(b *testing.B) {
	tg := benchTarget(b)
	var wall, cpu [2]time.Duration
	var n int64
	for b.Loop() {
		for i, prune := range []bool{false, true} {
			a := NewAccumulator(nil, nil)
			opts := target.WalkOptions{Skip: Skip, LocalOnly: true, OnError: a.Error}
			if prune {
				opts.Prune = newPruner(false).prune
			}
			c0, t0 := cpuTime(b), time.Now()
			if err := tg.Walk(context.Background(), opts, a.Add); err != nil {
				b.Fatal(err)
			}
			wall[i] += time.Since(t0)
			cpu[i] += cpuTime(b) - c0
			n = a.Facts().Entries
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
	b.ReportMetric(per(wall[0]), "without-ns/op")
	b.ReportMetric(per(wall[1]), "with-ns/op")
	b.ReportMetric(per(cpu[0]), "without-cpu-ns/op")
	b.ReportMetric(per(cpu[1]), "with-cpu-ns/op")
	b.ReportMetric(float64(wall[1])/float64(wall[0]), "wall-ratio")
	b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "cpu-ratio")
	b.ReportMetric(float64(n), "entries")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
