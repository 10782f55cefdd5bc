package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/impact"
	"github.com/cradle-cra/cradle/internal/target"
)

// preflight collects the impact signals of the target (sampling the live
// host for --learn first) and returns them as the plan's assessor.
func preflight(cmd *cobra.Command, env *Env, t target.Target, f *fixFlags) (fix.Assessor, error) {
	ctx := cmd.Context()
	opts := impact.Options{Now: time.Now()}
	if f.learn <= 0 {
		s, err := impact.Collect(ctx, t, opts)
		if err != nil {
			return nil, fmt.Errorf("impact preflight: %w", err)
		}
		return s, nil
	}
	if f.learnEvery <= 0 || f.learnEvery > f.learn {
		return nil, usageErr("--learn-interval must be positive and at most --learn")
	}
	tty := env.tty(env.Stderr) && !f.quiet
	fmt.Fprintf(env.Stderr, "learning impact signals for %s (every %s)...\n", f.learn, f.learnEvery)
	s, err := impact.Learn(ctx, t, f.learn, f.learnEvery, opts, func(elapsed time.Duration, samples int) {
		if tty {
			fmt.Fprintf(env.Stderr, "\rlearning: %s of %s, %d samples", elapsed.Truncate(time.Second), f.learn, samples)
		}
	})
	if tty {
		fmt.Fprintln(env.Stderr)
	}
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	for _, line := range s.Summary() {
		fmt.Fprintf(env.Stderr, "  %s\n", line)
	}
	return s, nil
}
