package cli

import (
	"errors"
	"fmt"
)

// Exit codes are part of cradle's interface.
const (
	ExitOK       = 0
	ExitInternal = 1
	ExitUsage    = 2
	ExitFindings = 3
)

// ExitError carries an exit code with an optional message.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// usageErr marks bad flags, arguments or input files (exit 2).
func usageErr(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// inputErr wraps an input-file problem (exit 2).
func inputErr(err error) error {
	return &ExitError{Code: ExitUsage, Err: err}
}

// findingsErr signals findings at or above the threshold (exit 3).
func findingsErr(format string, a ...any) error {
	return &ExitError{Code: ExitFindings, Err: fmt.Errorf(format, a...)}
}

// codeOf maps an error to its exit code: an ExitError's, else the code of
// a typed error from a lower package (interface{ ExitCode() int }, e.g.
// output.UsageError); unknown errors are internal.
func codeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	return ExitInternal
}
