package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/cradle-cra/cradle/internal/app"
)

// Exit codes are part of cradle's interface.
const (
	ExitOK       = 0
	ExitInternal = 1
	ExitUsage    = 2
	ExitFindings = 3
	// ExitInterrupted: SIGINT or SIGTERM stopped the work (128 + SIGINT,
	// as shells report it). What was written is consistent: a fix run
	// stopped part-way is journaled and logged and can be rolled back.
	ExitInterrupted = 130
)

// usageErr marks bad flags or arguments (exit 2).
func usageErr(format string, a ...any) error { return app.Usagef(format, a...) }

// exitCode maps an error to its exit code.
func exitCode(ctx context.Context, err error) int {
	if err == nil {
		return ExitOK
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ctx.Err())) {
		return ExitInterrupted
	}
	switch app.ClassOf(err) {
	case app.Usage:
		return ExitUsage
	case app.Findings:
		return ExitFindings
	}
	// Typed errors of the rendering packages (output.UsageError) carry
	// their own code.
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	if ctx.Err() != nil {
		// Work cut short by the signal can fail in its own words (a
		// closed pipe, a missing partial file): it was still interrupted.
		return ExitInterrupted
	}
	return ExitInternal
}

// message is how an error is shown on standard error.
func message(code int, err error) string {
	switch code {
	case ExitFindings:
		return fmt.Sprintf("cradle: %s\n", err)
	case ExitInterrupted:
		return fmt.Sprintf("cradle: interrupted: %s\n", err)
	}
	return fmt.Sprintf("cradle: error: %s\n", indent(err.Error()))
}
