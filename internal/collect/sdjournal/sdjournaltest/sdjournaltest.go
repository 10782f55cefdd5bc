// Package sdjournaltest gives tests in other packages the journal files
// systemd-journald wrote for sdjournal's own tests
// (internal/collect/sdjournal/testdata/mkjournal.sh).
package sdjournaltest

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// File returns the testdata journal file name (without ".gz"),
// decompressed.
func File(t testing.TB, name string) []byte {
	t.Helper()
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("sdjournaltest: cannot locate testdata")
	}
	f, err := os.Open(filepath.Join(filepath.Dir(self), "..", "testdata", name+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
