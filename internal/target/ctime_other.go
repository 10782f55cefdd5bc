//go:build unix && !linux

package target

import (
	"syscall"
	"time"
)

// changeTime is not read on systems cradle does not scan live.
func changeTime(*syscall.Stat_t) time.Time { return time.Time{} }
