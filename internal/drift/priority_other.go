//go:build !linux

package drift

import "errors"

// LowerPriority is only implemented on Linux; elsewhere it reports that
// the requested bounds could not be applied.
func LowerPriority(nice int, ioClass string) error {
	if nice > 0 || ioClass != "" && ioClass != "none" {
		return errors.New("lowering CPU and I/O priority is supported on Linux only")
	}
	return nil
}
