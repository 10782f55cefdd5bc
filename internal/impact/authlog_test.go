package impact

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// logTree writes accountsTree with extra files and opens it; write adds
// files that need more than a string body.
func logTree(t *testing.T, extra map[string]string, write func(dir string)) target.Target {
	t.Helper()
	dir := targettest.Dir(t, accountsTree(extra))
	if write != nil {
		write(dir)
	}
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

const recentRootLogin = "2024-01-19T16:20:01.000000+00:00 web1 sshd[4242]: Accepted password for root from 203.0.113.9 port 50022 ssh2\n"

// noise is a brute-force failure line at tm.
func noise(tm time.Time, i int) string {
	return fmt.Sprintf("%s web1 sshd[%d]: Failed password for invalid user admin%d from 198.51.100.%d port %d ssh2\n",
		tm.Format("2006-01-02T15:04:05.000000-07:00"), 1000+i%30000, i, i%250, 1024+i%60000)
}

// TestAuthLogPaddedRecentLoginFound puts a recent root password login
// after 300 MB of padding (a sparse hole, as cheap to create as noise is
// to send): reading only the first 256 MiB missed it and reported none.
func TestAuthLogPaddedRecentLoginFound(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 300 MB")
	}
	tg := logTree(t, map[string]string{"var/log/auth.log": ""}, func(dir string) {
		f, err := os.Create(filepath.Join(dir, "var/log/auth.log"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt([]byte("\n"+recentRootLogin), 300<<20); err != nil {
			t.Fatal(err)
		}
	})
	s := collect(t, tg)
	wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Value: "prohibit-password"}), remedy.ImpactObserved,
		"root logged in over SSH with a password once (password), last 2024-01-19 16:20 UTC from 203.0.113.9")
}

// TestAuthLogBudget reads logs with a small budget: a recent login at
// the end is found however much noise is before it; when the budget runs
// out inside the window and no login is seen the verdict is possible
// with the reason, never none; and a log whose noise is older than the
// window is read back only to the window's start, so the same budget
// suffices and the verdict is none.
func TestAuthLogBudget(t *testing.T) {
	const budget = 256 << 10
	inWindow := func(extra string) string {
		var b strings.Builder
		for i := 0; b.Len() < 4*budget; i++ {
			b.WriteString(noise(now.Add(-48*time.Hour+time.Duration(i)*time.Second), i))
		}
		return b.String() + extra
	}
	var old strings.Builder
	for i := 0; old.Len() < 4*budget; i++ {
		old.WriteString(noise(now.Add(-90*24*time.Hour+time.Duration(i)*time.Second), i))
	}
	old.WriteString(noise(now.Add(-time.Hour), 1))

	opts := Options{Now: now, LogBudget: budget}
	effect := remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Value: "prohibit-password"}
	tests := []struct {
		name  string
		log   string
		level string
		want  []string
	}{
		{"recent login after noise", inWindow(recentRootLogin), remedy.ImpactObserved, []string{"root logged in over SSH with a password once"}},
		{"noise fills the budget", inWindow(""), remedy.ImpactPossible, []string{
			"root SSH login with a password not ruled out: the login records were not read completely for the last 30 days",
			"/var/log/auth.log: not read back to the start of the window, the budget of 262144 bytes for authentication logs was spent",
			"none seen in what was read of /var/log/auth.log"}},
		{"old noise stops at the window", old.String(), remedy.ImpactNone, []string{"no root SSH login with a password in /var/log/auth.log covering the last 30 days"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := logTree(t, map[string]string{"var/log/auth.log": tc.log}, nil)
			s, err := Collect(context.Background(), tg, opts)
			if err != nil {
				t.Fatal(err)
			}
			wantImpact(t, assess(s, effect), tc.level, tc.want...)
		})
	}
}

// TestAuthLogGzipRotationInWindow streams a gzip rotation forwards,
// keeping its in-window logins, and names every file read.
func TestAuthLogGzipRotationInWindow(t *testing.T) {
	older := "2024-01-02T08:00:00.000000+00:00 web1 sshd[77]: Accepted password for root from 192.0.2.77 port 4000 ssh2\n"
	tg := logTree(t, map[string]string{"var/log/auth.log": noise(now.Add(-time.Hour), 1)}, func(dir string) {
		p := filepath.Join(dir, "var/log/auth.log.2.gz")
		if err := os.WriteFile(p, gz(t, noise(now.Add(-20*24*time.Hour), 2)+older), 0o644); err != nil {
			t.Fatal(err)
		}
		day := now.Add(-18 * 24 * time.Hour)
		if err := os.Chtimes(p, day, day); err != nil {
			t.Fatal(err)
		}
	})
	s := collect(t, tg)
	if got := strings.Join(s.LogFiles, ","); got != "/var/log/auth.log,/var/log/auth.log.2.gz" {
		t.Errorf("log files = %s", got)
	}
	wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Value: "prohibit-password"}), remedy.ImpactObserved, "from 192.0.2.77")
	wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "carol"}), remedy.ImpactNone,
		"no SSH login by carol in /var/log/auth.log, /var/log/auth.log.2.gz covering the last 30 days")
}

// TestAuthLogJournalOnly: a target that logs only to a systemd journal
// that cannot be read has no login source: unknown, not none.
func TestAuthLogJournalOnly(t *testing.T) {
	tg := logTree(t, map[string]string{"var/log/journal/0123/system.journal": "LPKSHHRH"}, nil)
	s := collect(t, tg)
	wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Value: "prohibit-password"}), remedy.ImpactUnknown, "journal: /var/log/journal/0123/system.journal: corrupt journal file")
}

// TestEachLineBackward compares the backward reader with a forward split
// across chunk boundaries, CRLF, empty and over-long lines.
func TestEachLineBackward(t *testing.T) {
	var b strings.Builder
	for i := range 30000 {
		switch {
		case i%997 == 0:
			b.WriteString(strings.Repeat("x", 9000) + "\n") // over maxLogLine
		case i%13 == 0:
			b.WriteString("\n")
		case i%7 == 0:
			fmt.Fprintf(&b, "crlf %d\r\n", i)
		default:
			fmt.Fprintf(&b, "line %d %s\n", i, strings.Repeat("y", i%300))
		}
	}
	b.WriteString("last without newline")
	sameLinesBackward(t, []byte(b.String()), maxLogLine)
}

// sameLinesBackward checks that eachLineBackward reads every line of b
// that eachLine reads, in reverse order.
func sameLinesBackward(t *testing.T, b []byte, maxLine int) {
	t.Helper()
	var want []string
	if _, err := eachLine(bytes.NewReader(b), maxLine, int64(len(b)), func(l []byte) bool {
		if len(l) > 0 {
			want = append(want, string(l))
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	n, done, err := eachLineBackward(bytes.NewReader(b), int64(len(b)), maxLine, 1<<30, func(l []byte) bool {
		got = append(got, string(l))
		return true
	})
	if err != nil || !done || n != int64(len(b)) {
		t.Fatalf("read %d of %d, done %v, err %v", n, len(b), done, err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines backwards %.200q, %d forwards %.200q", len(got), got, len(want), want)
	}
	for i := range got {
		if got[i] != want[len(want)-1-i] {
			t.Fatalf("line %d from the end = %q, want %q", i, got[i], want[len(want)-1-i])
		}
	}
}
