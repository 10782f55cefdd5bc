//go:build unix

package cli

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestConvertRefusesFIFO: a FIFO given as the saved document is refused
// at once, not read until a writer appears.
func TestConvertRefusesFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	type res struct {
		errs string
		code int
	}
	done := make(chan res, 1)
	go func() { _, errs, code := run(t, "convert", fifo); done <- res{errs, code} }()
	select {
	case r := <-done:
		if r.code != ExitUsage || !strings.Contains(r.errs, "not a regular file") {
			t.Errorf("exit %d: %s", r.code, r.errs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cradle convert blocked on a FIFO")
	}
}
