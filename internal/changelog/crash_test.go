//go:build unix

package changelog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"

	"github.com/cradle-cra/cradle/internal/signing"
)

// TestHelperCrashingAppend is run as a child process: it appends one entry
// and kills itself with SIGKILL at the step named in CHANGELOG_CRASH_STEP.
func TestHelperCrashingAppend(t *testing.T) {
	dir := os.Getenv("CHANGELOG_CRASH_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	k, err := signing.LoadPrivate(filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	want := os.Getenv("CHANGELOG_CRASH_STEP")
	crashHook = func(step string) error {
		if step == want {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // never returns
		}
		return nil
	}
	l := &Log{Dir: filepath.Join(dir, "logs"), Target: "host", Signer: k}
	if _, err := l.Append(context.Background(), Entry{Action: ActionNote, Reason: "killed"}); err != nil {
		t.Fatal(err)
	}
}

// A real process killed at every step of an append — the first entry's
// and a later one's — leaves a log that verifies, and the next append
// completes or discards the interrupted one.
func TestKilledAppendLeavesVerifiableLog(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for _, before := range []int{0, 2} {
		for _, step := range appendSteps {
			t.Run(fmt.Sprintf("after %d entries, killed at %s", before, step), func(t *testing.T) {
				dir := t.TempDir()
				k := testKey(t)
				b, _ := signing.MarshalPrivate(k)
				os.WriteFile(filepath.Join(dir, "key.pem"), b, 0o600)
				l := &Log{Dir: filepath.Join(dir, "logs"), Target: "host", Signer: k}
				for i := range before {
					if _, err := l.Append(context.Background(), Entry{Action: ActionNote, Reason: strconv.Itoa(i)}); err != nil {
						t.Fatal(err)
					}
				}
				c := exec.Command(os.Args[0], "-test.run=^TestHelperCrashingAppend$")
				c.Env = append(os.Environ(), "CHANGELOG_CRASH_DIR="+dir, "CHANGELOG_CRASH_STEP="+step)
				out, err := c.CombinedOutput()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != -1 {
					t.Fatalf("child was not killed: %v\n%s", err, out)
				}
				s, err := l.Verify(keyring(k))
				if err != nil {
					t.Fatalf("after the kill: %v", err)
				}
				// Everything from the write-ahead file on is completed.
				want := before
				if slices.Index(appendSteps, step) >= slices.Index(appendSteps, stepPending) {
					want++
				}
				if _, err := l.Append(context.Background(), Entry{Action: ActionNote, Reason: "next"}); err != nil {
					t.Fatalf("append after the kill: %v", err)
				}
				s, err = l.Verify(keyring(k))
				if err != nil || s.Entries != want+1 || s.HeadSeq != uint64(want+1) || len(s.Warnings) != 0 {
					t.Fatalf("after the next append: %+v, %v (want %d entries)", s, err, want+1)
				}
				if _, err := os.Stat(l.PendingPath()); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("pending file left: %v", err)
				}
			})
		}
	}
}

// A write that fails (a full disk) at any step leaves a verifiable log:
// before the line is durable the append fails and leaves no trace, after
// it the append succeeds and the next one writes the head.
func TestFailedAppendStepIsRecovered(t *testing.T) {
	for _, before := range []int{0, 3} {
		for _, step := range appendSteps {
			t.Run(fmt.Sprintf("after %d entries, failing at %s", before, step), func(t *testing.T) {
				k := testKey(t)
				l := newLog(t, k)
				appendN(t, l, before)
				crashHook = func(s string) error {
					if s == step {
						return syscall.ENOSPC
					}
					return nil
				}
				_, err := l.Append(context.Background(), Entry{Action: ActionNote})
				crashHook = nil
				durable := slices.Index(appendSteps, step) > slices.Index(appendSteps, stepLineSync)
				if durable != (err == nil) || err != nil && !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("Append = %v (line durable: %v)", err, durable)
				}
				if _, err := l.Verify(keyring(k)); err != nil && !(before == 0 && errors.Is(err, ErrNoLog)) {
					t.Fatalf("after the failure: %v", err)
				}
				if err := l.CheckAppendable(context.Background()); err != nil {
					t.Fatalf("CheckAppendable: %v", err)
				}
				if _, err := l.Append(context.Background(), Entry{Action: ActionNote}); err != nil {
					t.Fatal(err)
				}
				want := before + 1
				if durable {
					want++
				}
				if s, err := l.Verify(keyring(k)); err != nil || s.Entries != want || len(s.Warnings) != 0 {
					t.Fatalf("after the next append: %+v, %v (want %d entries)", s, err, want)
				}
			})
		}
	}
}
