//go:build linux

package drift

import (
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLowerPriority runs in a child process: lowering priority cannot be
// undone without privilege and must not slow the rest of the tests.
func TestLowerPriority(t *testing.T) {
	if os.Getenv("CRADLE_PRIORITY_CHILD") == "1" {
		if err := LowerPriority(7, "idle"); err != nil {
			t.Fatal(err)
		}
		tids, _ := threads()
		for _, tid := range tids {
			// getpriority returns 20 - nice.
			if p, err := unix.Getpriority(unix.PRIO_PROCESS, tid); err == nil && p != 20-7 {
				t.Errorf("thread %d: priority %d, want nice 7", tid, p)
			}
			r, _, e := unix.Syscall(unix.SYS_IOPRIO_GET, ioprioWhoProcess, uintptr(tid), 0)
			if e == 0 && r>>ioprioClassShift != 3 {
				t.Errorf("thread %d: I/O class %d, want idle (3)", tid, r>>ioprioClassShift)
			}
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLowerPriority$", "-test.count=1")
	cmd.Env = append(os.Environ(), "CRADLE_PRIORITY_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if err := LowerPriority(0, "bogus"); err == nil {
		t.Error("unknown I/O class accepted")
	}
}
