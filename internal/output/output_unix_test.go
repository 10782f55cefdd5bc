//go:build unix

package output

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/result"
)

// TestSinkModes: fix plans (diffs show file contents) are written 0600,
// other documents 0644; stdout gets the same bytes; a failed rendering
// writes nothing.
func TestSinkModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	reg := Default()
	dir := t.TempDir()
	rep := &result.Report{SchemaVersion: result.SchemaVersion, Tool: result.Tool{Name: "cradle"}, Profile: "default"}
	plan := &fix.Document{SchemaVersion: fix.SchemaVersion, Kind: fix.Kind, Mode: "plan"}
	for _, tc := range []struct {
		kind Kind
		doc  any
		mode os.FileMode
	}{{KindScanReport, rep, 0o644}, {KindFixPlan, plan, 0o600}} {
		path := filepath.Join(dir, string(tc.kind))
		sink, err := reg.Open(tc.kind, "json", path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := sink.Write(tc.doc, Options{}); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != tc.mode {
			t.Errorf("%s written %v, want %v", tc.kind, fi.Mode().Perm(), tc.mode)
		}
		var stdout bytes.Buffer
		sink, _ = reg.Open(tc.kind, "json", "", &stdout)
		if err := sink.Write(tc.doc, Options{}); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); !bytes.Equal(b, stdout.Bytes()) {
			t.Errorf("%s: file and stdout differ", tc.kind)
		}
	}
	path := filepath.Join(dir, "wrong")
	sink, _ := reg.Open(KindScanReport, "json", path, nil)
	if err := sink.Write(plan, Options{}); err == nil {
		t.Error("a fix plan rendered as a scan report")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed rendering left a file: %v", err)
	}
	sink, _ = reg.Open(KindScanReport, "json", filepath.Join(dir, "missing", "x.json"), nil)
	if err := sink.Write(rep, Options{}); !IsUsage(err) {
		t.Errorf("unwritable -o: %v", err)
	}
}

func TestReadFileRefusesFIFO(t *testing.T) {
	reg := Default()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() { _, _, err := reg.ReadFile(fifo); done <- err }()
	select {
	case err := <-done:
		if !IsUsage(err) || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("fifo: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadFile blocked on a FIFO")
	}
}
