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

	"github.com/cradle-cra/cradle/internal/collect/sdjournal"
	"github.com/cradle-cra/cradle/internal/collect/sdjournal/sdjournaltest"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// realJournal returns a journal file systemd-journald wrote (see
// internal/collect/sdjournal/testdata/mkjournal.sh) and the time of its
// last entry.
func realJournal(t *testing.T, name string) ([]byte, time.Time) {
	t.Helper()
	b := sdjournaltest.File(t, name)
	rd := sdjournal.NewReader(sdjournal.Limits{})
	defer rd.Close()
	jf, err := rd.Open(bytes.NewReader(b), int64(len(b)), name)
	if err != nil {
		t.Fatal(err)
	}
	return b, time.UnixMicro(int64(jf.Header.TailRealtime)).UTC()
}

// journalTarget writes journal files (path → content) into a tree with
// accounts and the given text files, live or offline.
func journalTarget(t *testing.T, live bool, journals map[string][]byte, files map[string]string) target.Target {
	t.Helper()
	return logTreeOpen(t, files, func(dir string) {
		for p, b := range journals {
			full := filepath.Join(dir, p)
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, b, 0o640); err != nil {
				t.Fatal(err)
			}
		}
	}, live)
}

func logTreeOpen(t *testing.T, files map[string]string, write func(string), live bool) target.Target {
	t.Helper()
	if !live {
		return logTree(t, files, write)
	}
	tg := logTree(t, files, write)
	tg2, err := target.OpenLiveRoot(strings.TrimSuffix(tg.Name(), "/"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg2.Close() })
	return tg2
}

// TestJournalLogins: a target that logs only to the systemd journal has
// its SSH logins read from it (sshd's and sshd-session's), and the
// journal files are named as the source.
func TestJournalLogins(t *testing.T) {
	b, last := realJournal(t, "compact-archived1.journal")
	p := "var/log/journal/0123456789abcdef0123456789abcdef/system@0001.journal"
	tg := journalTarget(t, false, map[string][]byte{p: b}, nil)
	s, err := Collect(context.Background(), tg, Options{Now: last.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var alice, bob int
	for _, l := range s.Logins {
		switch {
		case l.User == "alice" && l.Method == "publickey" && l.From == "192.0.2.10":
			alice++
		case l.User == "bob" && l.Method == "password" && l.From == "2001:db8::5":
			bob++
		default:
			t.Errorf("unexpected login %+v", l)
		}
		if l.File != "/"+p {
			t.Errorf("login from %s", l.File)
		}
	}
	// Every entry of the file, read without the index, as the reference.
	all, err := sdjournal.Read(context.Background(), tg, sdjournal.Dirs(false), sdjournal.Query{Fields: []string{"MESSAGE"}}, sdjournal.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var wantAlice, wantBob int
	for _, e := range all.Entries {
		wantAlice += strings.Count(e.Get("MESSAGE"), "Accepted publickey for alice from 192.0.2.10 ")
		wantBob += strings.Count(e.Get("MESSAGE"), "Accepted password for bob from 2001:db8::5 ")
	}
	if alice != wantAlice || bob != wantBob || alice < 5 || bob < 3 {
		t.Errorf("%d logins of alice, %d of bob; want %d and %d", alice, bob, wantAlice, wantBob)
	}
	wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectSSHNoPassword}), remedy.ImpactObserved, fmt.Sprintf("bob logged in over SSH with a password %d times", bob), "/"+p)
	wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Value: "prohibit-password"}), remedy.ImpactNone, "no root SSH login with a password in /"+p)
	if len(s.LogGaps) != 0 {
		t.Errorf("gaps: %v", s.LogGaps)
	}
}

// TestJournalAndAuthLogSameLogin: rsyslog writes what journald forwards,
// so the same login in auth.log (RFC 3339 or a traditional timestamp,
// even one read in another time zone) and in the journal counts once.
func TestJournalAndAuthLogSameLogin(t *testing.T) {
	b, last := realJournal(t, "regular-active.journal")
	p := "var/log/journal/0123456789abcdef0123456789abcdef/system.journal"
	q := sdjournal.Query{Match: []sdjournal.Match{{Field: "SYSLOG_IDENTIFIER", Value: "sshd"}, {Field: "SYSLOG_IDENTIFIER", Value: "sshd-session"}}}
	res, err := sdjournal.Read(context.Background(), journalTarget(t, false, map[string][]byte{p: b}, nil), sdjournal.Dirs(false), q, sdjournal.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var auth strings.Builder
	n := 0
	for i, e := range res.Entries {
		msg := e.Get("MESSAGE")
		if !strings.HasPrefix(msg, "Accepted ") {
			continue
		}
		n++
		tm := e.Time.Add(1200 * time.Microsecond)
		if i%2 == 0 { // a traditional timestamp written in UTC+2, read in UTC
			tm = e.Time.In(time.FixedZone("EET", 2*3600))
			fmt.Fprintf(&auth, "%s web1 %s[%s]: %s\n", tm.Format(time.Stamp), e.Get("SYSLOG_IDENTIFIER"), e.Get("_PID"), msg)
			continue
		}
		fmt.Fprintf(&auth, "%s web1 %s[%s]: %s\n", tm.Format("2006-01-02T15:04:05.000000-07:00"), e.Get("SYSLOG_IDENTIFIER"), e.Get("_PID"), msg)
	}
	if n < 2 {
		t.Fatalf("%d accepted logins in the journal", n)
	}
	tg := journalTarget(t, false, map[string][]byte{p: b}, map[string]string{"var/log/auth.log": auth.String()})
	s, err := Collect(context.Background(), tg, Options{Now: last.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Logins) != n {
		for _, l := range s.Logins {
			t.Logf("%v %s %s %d %s", l.Time, l.User, l.From, l.Port, l.File)
		}
		t.Fatalf("%d logins, want %d (each once)", len(s.Logins), n)
	}
	if got := strings.Join(s.LogFiles, ","); got != "/var/log/auth.log,/"+p {
		t.Errorf("log files %s", got)
	}
}

// TestJournalLiveAndOffline: /run/log/journal is read on a live target
// only; a damaged journal file is a gap, so "no login" is not evidence.
func TestJournalLiveAndOffline(t *testing.T) {
	b, last := realJournal(t, "compact-dirty.journal~")
	run := "run/log/journal/0123456789abcdef0123456789abcdef/system@0001.journal~"
	broken := "var/log/journal/0123456789abcdef0123456789abcdef/system.journal"
	journals := map[string][]byte{run: b, broken: []byte("LPKSHHRH")}
	opts := Options{Now: last.Add(time.Hour)}
	for _, live := range []bool{false, true} {
		s, err := Collect(context.Background(), journalTarget(t, live, journals, nil), opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(s.Logins) > 0; got != live {
			t.Errorf("live %v: %d logins", live, len(s.Logins))
		}
		if len(s.LogGaps) != 1 || !strings.Contains(s.LogGaps[0], "/"+broken) {
			t.Errorf("live %v: gaps %q", live, s.LogGaps)
		}
		// Offline only the damaged file is there: no login source was
		// read. Live the /run file was: not ruled out, but seen in part.
		level := remedy.ImpactUnknown
		if live {
			level = remedy.ImpactPossible
		}
		wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Value: "prohibit-password"}), level, "not ruled out", "corrupt journal file")
	}
}

// TestJournalSource describes the reading for the plan.
func TestJournalSource(t *testing.T) {
	b, last := realJournal(t, "regular-active.journal")
	p := "var/log/journal/m/system.journal"
	for _, tc := range []struct {
		name     string
		journals map[string][]byte
		now      time.Time
		status   string
		detail   string
	}{
		{"no journal", nil, last, SourceMissing, "no persistent journal under /var/log/journal"},
		{"empty directory", map[string][]byte{"var/log/journal/m/notes.txt": []byte("x")}, last, SourceMissing, "no journal files in /var/log/journal"},
		{"read", map[string][]byte{p: b}, last.Add(time.Hour), SourceRead, ""},
		{"before the window", map[string][]byte{p: b}, last.Add(90 * 24 * time.Hour), SourceRead, ""},
		{"damaged", map[string][]byte{p: b[:4096]}, last.Add(time.Hour), SourcePartial, "truncated"},
		{"unreadable", map[string][]byte{p: []byte("LPKSHHRH")}, last, SourceMissing, "corrupt journal file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jl, err := readJournal(context.Background(), journalTarget(t, false, tc.journals, nil), tc.now, DefaultWindow)
			if err != nil {
				t.Fatal(err)
			}
			if jl.src.Name != "journal" || jl.src.Status != tc.status || !strings.Contains(jl.src.Detail, tc.detail) {
				t.Errorf("source %+v, want %s with %q", jl.src, tc.status, tc.detail)
			}
		})
	}
}

func TestSameMoment(t *testing.T) {
	base := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    time.Duration
		same bool
	}{
		{0, true}, {2 * time.Second, true}, {-2 * time.Second, true}, {10 * time.Second, false},
		{2 * time.Hour, true}, {-5*time.Hour - 30*time.Minute + time.Second, true}, {90 * time.Second, false},
		{16 * time.Hour, false}, {7 * time.Minute, false},
	} {
		if got := sameMoment(base, base.Add(tc.d)); got != tc.same {
			t.Errorf("sameMoment(+%v) = %v", tc.d, got)
		}
	}
}

// TestJournalSudo: sudo's lines in the journal are sudo use evidence, and
// the same lines in auth.log (rsyslog's copy) are not counted twice.
func TestJournalSudoDedup(t *testing.T) {
	b, last := realJournal(t, "regular-archived1.journal")
	p := "var/log/journal/m/system@1.journal"
	opts := Options{Now: last.Add(time.Hour)}
	s, err := Collect(context.Background(), journalTarget(t, false, map[string][]byte{p: b}, nil), opts)
	if err != nil {
		t.Fatal(err)
	}
	var ops *SudoUse
	for i, u := range s.SudoUses {
		if u.User == "ops" {
			ops = &s.SudoUses[i]
		}
	}
	if ops == nil || ops.Command != "/usr/bin/systemctl restart nginx" || ops.NoTTY != ops.Count || ops.File != "/"+p {
		t.Fatalf("sudo uses %+v", s.SudoUses)
	}
	if src, _ := s.Source("sudo-log"); src.Status != SourceRead || !strings.Contains(strings.Join(src.Paths, ","), "/"+p) {
		t.Errorf("sudo-log source %+v", src)
	}
	wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectSudoPassword, Subject: "ops", Value: "/usr/bin/systemctl restart nginx"}),
		remedy.ImpactObserved, "ops used sudo without a terminal")

	// rsyslog's copy of the same lines in auth.log.
	res, err := sdjournal.Read(context.Background(), journalTarget(t, false, map[string][]byte{p: b}, nil), sdjournal.Dirs(false),
		sdjournal.Query{Match: []sdjournal.Match{{Field: "SYSLOG_IDENTIFIER", Value: "sudo"}}}, sdjournal.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var auth strings.Builder
	for _, e := range res.Entries {
		fmt.Fprintf(&auth, "%s web1 sudo: %s\n", e.Time.Format("2006-01-02T15:04:05.000000-07:00"), e.Get("MESSAGE"))
	}
	both, err := Collect(context.Background(), journalTarget(t, false, map[string][]byte{p: b}, map[string]string{"var/log/auth.log": auth.String()}), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(both.SudoUses) != len(s.SudoUses) {
		t.Fatalf("%d sudo uses with auth.log, %d from the journal alone", len(both.SudoUses), len(s.SudoUses))
	}
	for i := range both.SudoUses {
		if both.SudoUses[i].Count != s.SudoUses[i].Count {
			t.Errorf("%+v counted %d times, want %d", both.SudoUses[i], both.SudoUses[i].Count, s.SudoUses[i].Count)
		}
	}
}
