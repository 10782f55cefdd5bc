//go:build !unix

package target

import "errors"

func syscallMkfifo(string) error { return errors.New("no FIFOs on this system") }
