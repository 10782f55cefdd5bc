package sdjournal

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/target"
)

// tree writes files (root-relative path → content) and opens the tree as
// an offline root or a live one.
func tree(t *testing.T, files map[string][]byte, live bool) target.Target {
	t.Helper()
	dir := t.TempDir()
	for p, b := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	open := target.OpenRootFS
	if live {
		open = target.OpenLiveRoot
	}
	tg, err := open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

func TestRead(t *testing.T) {
	fs := testFiles(t)
	const m = "var/log/journal/0123456789abcdef0123456789abcdef/"
	files := map[string][]byte{
		m + "system.journal":              fs["compact-active.journal"],
		m + "system@a-1-2.journal":        fs["compact-archived1.journal"],
		m + "system@a-3-4.journal~":       fs["compact-dirty.journal~"],
		m + "notes.txt":                   []byte("not a journal"),
		m + "user-1000.journal":           []byte("LPKSHHRH damaged"),
		"run/log/journal/x/copy.journal":  fs["compact-active.journal"], // the same file again
		"run/log/journal/y/other.journal": fs["regular-active.journal"],
	}
	q := Query{Match: []Match{{"SYSLOG_IDENTIFIER", "sshd"}}, Fields: []string{"MESSAGE"}}
	for _, live := range []bool{false, true} {
		res, err := Read(context.Background(), tree(t, files, live), Dirs(live), q, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		wantFiles := 3
		if live {
			wantFiles = 4 // the copy is read once, the other run file too
		}
		if len(res.Files) != wantFiles {
			t.Errorf("live %v: files %v", live, res.Files)
		}
		if len(res.Gaps) != 1 || !strings.Contains(res.Gaps[0], "user-1000.journal") {
			t.Errorf("live %v: gaps %q", live, res.Gaps)
		}
		for i, e := range res.Entries {
			if i > 0 && e.Time.Before(res.Entries[i-1].Time) {
				t.Fatalf("entries out of order at %d", i)
			}
			if !strings.Contains(e.Get("MESSAGE"), "password") && !strings.Contains(e.Get("MESSAGE"), "publickey") && !strings.Contains(e.Get("MESSAGE"), "session") {
				t.Errorf("entry %q", e.Get("MESSAGE"))
			}
		}
		if len(res.Entries) == 0 || res.BytesRead == 0 {
			t.Errorf("live %v: %d entries, %d bytes", live, len(res.Entries), res.BytesRead)
		}
	}
}

func TestReadBounds(t *testing.T) {
	fs := testFiles(t)
	files := map[string][]byte{}
	for i, n := range []string{"compact-active.journal", "regular-active.journal", "compact-archived1.journal"} {
		files["var/log/journal/m/f"+string(rune('a'+i))+".journal"] = fs[n]
	}
	tg := tree(t, files, false)
	res, err := Read(context.Background(), tg, Dirs(false), Query{}, Limits{Files: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 2 || len(res.Gaps) != 1 || !strings.Contains(res.Gaps[0], "more than 2 journal files") {
		t.Errorf("files %v, gaps %q", res.Files, res.Gaps)
	}
	// A window after every file's last entry: nothing to read, no gap.
	res, err = Read(context.Background(), tg, Dirs(false), Query{Since: time.Now().Add(24 * 365 * 10 * time.Hour)}, Limits{})
	if err != nil || len(res.Files) != 0 || len(res.Gaps) != 0 || res.Candidates != 3 {
		t.Errorf("err %v, result %+v", err, res)
	}
	// A budget spent on the newest file leaves the older ones unread.
	res, err = Read(context.Background(), tg, Dirs(false), Query{}, Limits{Bytes: 100 << 10})
	if err != nil || len(res.Files) != 1 || len(res.Gaps) != 3 || !strings.Contains(res.Gaps[2], "budget was spent on newer files") {
		t.Errorf("err %v, files %v, gaps %q", err, res.Files, res.Gaps)
	}
	// Entries Keep drops do not count against the entry bound.
	accepted := func(e *Entry) bool { return strings.HasPrefix(e.Get("MESSAGE"), "Accepted ") }
	q := Query{Match: []Match{{"SYSLOG_IDENTIFIER", "sshd"}}, Fields: []string{"MESSAGE"}, Keep: accepted}
	res, err = Read(context.Background(), tg, Dirs(false), q, Limits{})
	n := len(res.Entries)
	if err != nil || n < 5 {
		t.Fatalf("err %v, %d entries", err, n)
	}
	res, err = Read(context.Background(), tg, Dirs(false), q, Limits{Entries: n})
	if err != nil || len(res.Entries) != n || len(res.Gaps) != 0 {
		t.Errorf("err %v, %d entries, gaps %q", err, len(res.Entries), res.Gaps)
	}
	// Cancellation is the only error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, tg, Dirs(false), Query{}, Limits{}); err == nil {
		t.Error("no error after cancellation")
	}
}

// BenchmarkReadBruteForce reads a brute-forced host's journal for its
// accepted SSH logins and sudo lines, as the preflight does. Make the
// journal with `sudo bash testdata/mkjournal.sh big DIR` and run
// SDJOURNAL_BENCH_ROOT=DIR go test -bench ReadBruteForce -benchmem.
func BenchmarkReadBruteForce(b *testing.B) {
	root := os.Getenv("SDJOURNAL_BENCH_ROOT")
	if root == "" {
		b.Skip("SDJOURNAL_BENCH_ROOT not set")
	}
	tg, err := target.OpenRootFS(root)
	if err != nil {
		b.Fatal(err)
	}
	defer tg.Close()
	q := Query{Fields: []string{"MESSAGE", "SYSLOG_IDENTIFIER", "_PID"},
		Match: []Match{{"SYSLOG_IDENTIFIER", "sshd"}, {"SYSLOG_IDENTIFIER", "sshd-session"}, {"SYSLOG_IDENTIFIER", "sudo"}},
		Keep: func(e *Entry) bool {
			return e.Get("SYSLOG_IDENTIFIER") == "sudo" || strings.HasPrefix(e.Get("MESSAGE"), "Accepted ")
		}}
	for b.Loop() {
		res, err := Read(context.Background(), tg, Dirs(false), q, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(res.Entries)), "entries")
		b.ReportMetric(float64(res.BytesRead)/(1<<20), "MiB-read")
		b.ReportMetric(float64(len(res.Files)), "files")
		if len(res.Gaps) > 0 {
			b.Fatalf("gaps: %q", res.Gaps)
		}
	}
}

// streamOnly opens files as plain streams, as an image target does for
// content it holds in memory: the reader copies them, within the budget.
type streamOnly struct{ target.Target }

func (s streamOnly) Open(name string) (io.ReadCloser, error) {
	rc, err := s.Target.Open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return io.NopCloser(bytes.NewReader(b)), err
}

func TestReadStreamOnly(t *testing.T) {
	fs := testFiles(t)
	files := map[string][]byte{"var/log/journal/m/system.journal": fs["regular-archived1.journal"]}
	q := Query{Match: []Match{{"SYSLOG_IDENTIFIER", "sshd"}}, Fields: []string{"MESSAGE"}}
	want, err := Read(context.Background(), tree(t, files, false), Dirs(false), q, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(context.Background(), streamOnly{tree(t, files, false)}, Dirs(false), q, Limits{})
	if err != nil || len(got.Gaps) > 0 || len(got.Entries) != len(want.Entries) || len(want.Entries) == 0 {
		t.Fatalf("err %v, gaps %q, %d entries, want %d", err, got.Gaps, len(got.Entries), len(want.Entries))
	}
}
