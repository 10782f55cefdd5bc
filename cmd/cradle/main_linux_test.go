package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/drift"
	"github.com/cradle-cra/cradle/internal/target"
)

// TestMain runs the real cradle process when the test binary is started
// as one, so signals reach it exactly as in production.
func TestMain(m *testing.M) {
	if os.Getenv("CRADLE_TEST_MAIN") == "1" {
		os.Exit(run())
	}
	os.Exit(m.Run())
}

// cradle starts the test binary as cradle with args.
func cradle(t *testing.T, env []string, args ...string) (*exec.Cmd, *lockedBuffer, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "CRADLE_TEST_MAIN=1"), env...)
	var out, errb lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out, &errb
}

// lockedBuffer is an output buffer the test may read while the process
// writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitWorking waits until the process is into its work — it printed note,
// or it holds a directory of the scanned tree open (the walk) — so the
// signal does not race its start-up.
func waitWorking(t *testing.T, pid int, errb *lockedBuffer, note string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if note != "" && strings.Contains(errb.String(), note) {
			return
		}
		if note == "" {
			fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
			for _, fd := range fds {
				l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
				if err != nil || !strings.HasPrefix(l, "/") || strings.HasPrefix(l, "/dev/") ||
					strings.HasPrefix(l, "/proc/") || strings.HasPrefix(l, "/sys/") {
					continue
				}
				// Start-up opens files (the loader, the binary); only the
				// walk of the tree holds directories open.
				if fi, err := os.Stat(l); err == nil && fi.IsDir() {
					return
				}
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("process %d did not start working", pid)
}

// waitExit waits at most d for cmd and returns its exit code.
func waitExit(t *testing.T, cmd *exec.Cmd, d time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		t.Fatalf("still running %s after the signal", d)
		return -1
	}
}

// TestSignalStopsLongWork: SIGINT or SIGTERM during a host scan (a
// filesystem-wide walk) or fix --learn ends the process promptly with
// exit 130 and a message.
func TestSignalStopsLongWork(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cradle on this host")
	}
	state := []string{"CRADLE_HOME=" + t.TempDir()}
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		note string // printed once the work has started
		args []string
	}{
		{"scan SIGINT", syscall.SIGINT, "", []string{"scan", "-q", "--profile", "strict", "--format", "json"}},
		{"learn SIGTERM", syscall.SIGTERM, "learning impact signals", []string{"fix", "-q", "--learn", "1h", "--learn-interval", "1s", "--rule", "ssh.permit_root_login"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, _, errb := cradle(t, state, tc.args...)
			waitWorking(t, cmd.Process.Pid, errb, tc.note)
			if cmd.ProcessState != nil {
				t.Skip("finished before the signal")
			}
			start := time.Now()
			cmd.Process.Signal(tc.sig)
			code := waitExit(t, cmd, 10*time.Second)
			if code == 0 || code == 3 {
				t.Skipf("finished before the signal (exit %d)", code)
			}
			if code != 130 || !strings.Contains(errb.String(), "interrupted") {
				t.Fatalf("exit %d after %s, stderr %q", code, time.Since(start), errb.String())
			}
			t.Logf("stopped %s after the signal", time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestSignalStopsWatchCleanly: a watch ends with exit 0 on SIGTERM, as
// documented (stopping is how a watch ends).
func TestSignalStopsWatchCleanly(t *testing.T) {
	root := t.TempDir()
	for name, body := range map[string]string{
		"etc/os-release":              "ID=debian\nVERSION_ID=\"12\"\n",
		"etc/ssh/sshd_config":         "PermitRootLogin no\n",
		"etc/ssh/sshd_config.d/.keep": "",
		"usr/sbin/sshd":               "",
	} {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	home := t.TempDir()
	state := []string{"CRADLE_HOME=" + home}
	approve, _, errb := cradle(t, state, "baseline", "approve", "-q", "--root", root, "--rule", "ssh.permit_root_login")
	if code := waitExit(t, approve, time.Minute); code != 0 {
		t.Fatalf("approve: exit %d: %s", code, errb)
	}
	cmd, out, errb := cradle(t, state, "watch", "--root", root, "--interval", "1h", "--nice", "0", "--ioprio", "none")
	// The first evaluation saves the drift state: the watch is running.
	spec, err := target.NewSpec(target.KindRootFS, root)
	if err != nil {
		t.Fatal(err)
	}
	statePath := filepath.Join(home, "snapshots", spec.Key(), drift.StateFile)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(statePath); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("watch never evaluated: %s", errb)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if code := waitExit(t, cmd, 10*time.Second); code != 0 {
		t.Fatalf("watch: exit %d\nstdout %s\nstderr %s", code, out, errb)
	}
}
