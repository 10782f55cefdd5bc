package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
)

// fimWalkFlags bound a walk on a production host: init, check and
// update take them.
type fimWalkFlags struct {
	oneFS   bool
	nice    int
	maxRate string
}

func (f *fimWalkFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.oneFS, "one-file-system", false, "do not cross mount points below each selected path")
	fl.IntVar(&f.nice, "nice", 0, "lower CPU priority to `N` (0-19) and use the idle I/O class")
	fl.StringVar(&f.maxRate, "max-rate", "", "limit hashing reads to `BYTES` per second across workers (e.g. 50M; K, M, G are binary)")
}

// apply puts the flags into in.
func (f *fimWalkFlags) apply(in *app.FIMInput) error {
	rate, err := app.ParseRate(f.maxRate)
	if err != nil {
		return err
	}
	in.OneFileSystem, in.Nice, in.MaxRate = f.oneFS, f.nice, rate
	return nil
}

// Walk draws a file integrity walk's counts; the final state stays on
// its line.
func (p *progress) Walk(entries, hashed, bytes int64, elapsed time.Duration, final bool) {
	rate := ""
	if s := elapsed.Seconds(); s >= 1 {
		rate = ", " + humanBytes(int64(float64(bytes)/s)) + "/s"
	}
	p.draw("walking", final, "fim: %d entries, %d files hashed, %s%s \x1b[K", entries, hashed, humanBytes(bytes), rate)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i])
}
