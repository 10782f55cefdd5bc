package app

import (
	"errors"
	"fmt"
)

// Class says whose problem an error is; front ends map it to their own
// signal (the CLI to exit codes 1, 2 and 3).
type Class int

const (
	// Internal is a failure of cradle or of the system it runs on.
	Internal Class = iota
	// Usage is a bad request: flags, arguments, input files, missing
	// state the operator must create, a policy refusal. Nothing changed.
	Usage
	// Findings is a result the caller asked to be told about: failing
	// rules, drift, a log or snapshot that does not verify.
	Findings
)

// Error carries a Class with the underlying error.
type Error struct {
	Class Class
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Usagef is a usage or input error.
func Usagef(format string, a ...any) error {
	return &Error{Class: Usage, Err: fmt.Errorf(format, a...)}
}

// Input marks err as a usage or input error.
func Input(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: Usage, Err: err}
}

// Findingsf reports findings.
func Findingsf(format string, a ...any) error {
	return &Error{Class: Findings, Err: fmt.Errorf(format, a...)}
}

// ClassOf returns the class of err (Internal for untyped errors).
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return Internal
}
