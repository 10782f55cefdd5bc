//go:build linux

package drift

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

const (
	ioprioClassShift = 13
	ioprioWhoProcess = 1
)

// LowerPriority sets the scheduling nice level (nice > 0) and the I/O
// scheduling class ("idle", "best-effort" at its lowest level, or "" to
// leave it) of every thread of the process. Linux applies both per thread,
// and threads created later inherit them from their creator, so every
// existing thread is set.
func LowerPriority(nice int, ioClass string) error {
	var class, data int
	switch ioClass {
	case "", "none":
	case "idle":
		class = 3
	case "best-effort":
		class, data = 2, 7
	default:
		return fmt.Errorf("unknown I/O priority class %q (idle, best-effort, none)", ioClass)
	}
	tids, err := threads()
	if err != nil {
		return err
	}
	var errs []error
	for _, tid := range tids {
		if nice > 0 {
			if err := unix.Setpriority(unix.PRIO_PROCESS, tid, nice); err != nil && !errors.Is(err, unix.ESRCH) {
				errs = append(errs, fmt.Errorf("set nice %d: %w", nice, err))
			}
		}
		if class != 0 {
			prio := uintptr(class<<ioprioClassShift | data)
			if _, _, e := unix.Syscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, uintptr(tid), prio); e != 0 && e != unix.ESRCH {
				errs = append(errs, fmt.Errorf("set I/O priority %s: %w", ioClass, e))
			}
		}
		if len(errs) > 0 {
			break
		}
	}
	return errors.Join(errs...)
}

func threads() ([]int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return []int{0}, nil // no procfs: at least the calling thread
	}
	var out []int
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, n)
		}
	}
	return out, nil
}
