// Package cli is cradle's command-line interface. Run takes all I/O as
// arguments so tests drive the real CLI in-process; errors carry exit codes
// (0 clean, 1 internal error, 2 usage or input error, 3 findings).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/fileutil"
)

// Version is set at build time with -ldflags "-X ...cli.Version=v1.2.3".
var Version = "dev"

// Env is the process environment a command sees.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads environment variables; nil means none are set.
	Getenv func(string) string
	// IsTerminal reports whether stdout/stderr are terminals (colour,
	// progress); nil means neither is.
	IsTerminal func(w io.Writer) bool
}

func (e *Env) getenv(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(k)
}

func (e *Env) tty(w io.Writer) bool {
	return e.IsTerminal != nil && e.IsTerminal(w)
}

// Run executes cradle with args (without the program name) and returns the
// process exit code.
func Run(ctx context.Context, args []string, env Env) int {
	root := newRoot(&env)
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(ctx)
	code := codeOf(err)
	if err != nil {
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Err != nil {
			msg := err.Error()
			if code == ExitFindings {
				fmt.Fprintf(env.Stderr, "cradle: %s\n", msg)
			} else {
				fmt.Fprintf(env.Stderr, "cradle: error: %s\n", strings.ReplaceAll(msg, "\n", "\n  "))
			}
		}
	}
	return code
}

func newRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "cradle",
		Short: "Secure-by-default checks, fixes and evidence for the EU Cyber Resilience Act",
		Long: `cradle evaluates a live Linux host, an offline root filesystem or a
container image against built-in hardening baselines, and produces the
evidence the EU Cyber Resilience Act (Regulation (EU) 2024/2847) asks for.

Exit codes: 0 clean, 1 internal error, 2 usage or input error,
3 findings at or above --fail-on.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr("%v (see %s --help)", err, c.CommandPath())
	})
	root.AddCommand(newScanCmd(env), newRulesCmd(env))
	root.AddCommand(newLogCmd(env), newBaselineCmd(env), newDriftCmd(env), newWatchCmd(env))
	root.AddCommand(newFixCmd(env), newRunsCmd(env), newRollbackCmd(env))
	for _, c := range root.Commands() {
		c.Args = wrapArgs(c.Args)
	}
	return root
}

// wrapArgs turns cobra's argument errors into usage errors.
func wrapArgs(fn cobra.PositionalArgs) cobra.PositionalArgs {
	if fn == nil {
		fn = cobra.NoArgs
	}
	return func(cmd *cobra.Command, args []string) error {
		if err := fn(cmd, args); err != nil {
			return usageErr("%v (see %s --help)", err, cmd.CommandPath())
		}
		return nil
	}
}

// readInput reads a user-supplied input file, bounded; a FIFO or device is
// refused rather than waited on.
func readInput(path string, limit int64) ([]byte, error) {
	b, err := fileutil.ReadRegular(path, limit)
	if err != nil {
		return nil, inputErr(err)
	}
	return b, nil
}
