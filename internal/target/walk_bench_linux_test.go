//go:build linux

package target_test

import (
	"context"
	"os"
	"sync/atomic"
	"testing"

	"github.com/cradle-cra/cradle/bench/barewalk/bare"
	"github.com/cradle-cra/cradle/internal/target"
)

// benchRoot is the tree the walk benchmarks read: $CRADLE_BENCH_ROOT, the
// debootstrap fixture, or /usr.
func benchRoot(b *testing.B) string {
	for _, d := range []string{os.Getenv("CRADLE_BENCH_ROOT"), os.Getenv("CRADLE_TEST_ROOTFS"), "/var/cache/cradle-fixtures/rootfs-bookworm", "/usr"} {
		if d != "" {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				return d
			}
		}
	}
	b.Skip("no tree to walk")
	return ""
}

// BenchmarkWalk compares the target walk (entries as FileInfo through a
// callback) with the bare two-worker getdents+fstatat walk over the same
// tree; the ratio is the walk's overhead.
func BenchmarkWalk(b *testing.B) {
	root := benchRoot(b)
	skip := []string{"proc", "sys", "dev", "run"}
	b.Run("bare-2", func(b *testing.B) {
		var n int64
		for b.Loop() {
			n = bare.Walk(bare.Options{Root: root, Skip: skip, LocalOnly: true, Workers: 2}).Entries
		}
		b.ReportMetric(float64(n), "entries")
	})
	for _, w := range []int{2, 4} {
		b.Run("cradle-"+string(rune('0'+w)), func(b *testing.B) {
			tg, err := target.OpenRootFS(root)
			if err != nil {
				b.Fatal(err)
			}
			defer tg.Close()
			var n atomic.Int64
			for b.Loop() {
				n.Store(0)
				err := tg.Walk(context.Background(), target.WalkOptions{Skip: skip, LocalOnly: true, Workers: w}, func(target.FileInfo) error {
					n.Add(1)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n.Load()), "entries")
		})
	}
}
