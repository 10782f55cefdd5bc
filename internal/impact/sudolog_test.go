package impact

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestParseSudoMessage(t *testing.T) {
	tests := []struct {
		msg  string
		want string // user|runas|tty|command|problem, "" for no match
	}{
		{"   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl status nginx",
			"alice|root|pts/0|/usr/bin/systemctl status nginx|"},
		{"ops : TTY=unknown ; PWD=/ ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx",
			"ops|root|unknown|/usr/bin/systemctl restart nginx|"},
		{"ops : a password is required ; TTY=unknown ; PWD=/ ; USER=root ; COMMAND=/usr/bin/apt-get update",
			"ops|root|unknown|/usr/bin/apt-get update|a password is required"},
		{"    bob : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/id",
			"bob|root|pts/1|/usr/bin/id|3 incorrect password attempts"},
		{"  carol : user NOT in sudoers ; TTY=pts/2 ; PWD=/home/carol ; USER=root ; COMMAND=/bin/bash",
			"carol|root|pts/2|/bin/bash|user NOT in sudoers"},
		// sudo 1.9 adds fields; the command keeps its own " ; ".
		{"deploy : TTY=pts/3 ; PWD=/srv ; USER=postgres ; GROUP=postgres ; TSID=000042 ; ENV=PGDATA=/srv/pg ; COMMAND=/bin/sh -c 'pg_dump db ; echo done'",
			"deploy|postgres|pts/3|/bin/sh -c 'pg_dump db ; echo done'|"},
		{"alice : COMMAND=/usr/bin/id", "alice|||/usr/bin/id|"},
		{"pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)", ""},
		{"alice : TTY=pts/0 ; PWD=/ ; USER=root", ""},
		{" : TTY=pts/0 ; COMMAND=/usr/bin/id", ""},
		{"al ice : TTY=pts/0 ; COMMAND=/usr/bin/id", ""},
		{"alice : TTY=pts/0 ; COMMAND=   ", ""},
	}
	for _, tc := range tests {
		e, ok := ParseSudoMessage(tc.msg)
		got := ""
		if ok {
			got = strings.Join([]string{e.User, e.RunAs, e.TTY, e.Command, e.Problem}, "|")
		}
		if got != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.msg, got, tc.want)
		}
	}
}

func TestParseSudoLine(t *testing.T) {
	now := time.Date(2024, 1, 20, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		line string
		want string // time|user|command
	}{
		{"2024-01-18T07:45:20.000000+00:00 web1 sudo[3030]:    alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl status nginx",
			"2024-01-18T07:45:20Z|alice|/usr/bin/systemctl status nginx"},
		{"Jan 17 03:00:01 rhel9 sudo:      ops : TTY=unknown ; PWD=/ ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx",
			"2024-01-17T03:00:01Z|ops|/usr/bin/systemctl restart nginx"},
		{"Jan 17 03:00:01 rhel9 sshd[4]:      ops : TTY=unknown ; PWD=/ ; USER=root ; COMMAND=/usr/bin/id", ""},
		{"Jan 17 03:00:01 rhel9 sudo[1]: pam_unix(sudo:session): session opened for user root", ""},
	}
	for _, tc := range tests {
		e, ok := ParseSudoLine(tc.line, now)
		got := ""
		if ok {
			got = e.Time.Format(time.RFC3339) + "|" + e.User + "|" + e.Command
		}
		if got != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.line, got, tc.want)
		}
	}
}

func FuzzParseSudoMessage(f *testing.F) {
	seedLines(f, "auth.log", "secure")
	f.Add("ops : a password is required ; TTY=unknown ; PWD=/ ; USER=root ; COMMAND=/usr/bin/id")
	f.Add("x : COMMAND=")
	f.Fuzz(func(t *testing.T, msg string) {
		e, ok := ParseSudoMessage(msg)
		if line, lok := ParseSudoLine(msg, now); lok && (line.User == "" || line.Command == "") {
			t.Fatalf("line %q parsed as %+v", msg, line)
		}
		if !ok {
			return
		}
		if e.User == "" || e.Command == "" || strings.ContainsAny(e.User, " \t;=") {
			t.Fatalf("%q parsed as %+v", msg, e)
		}
		if !strings.Contains(msg, e.User) || !strings.Contains(msg, e.Command) {
			t.Fatalf("fields not from the message: %+v", e)
		}
		if len(e.Command) > maxSudoCommand || len(e.User) > maxSudoName || len(e.Problem) > maxSudoName {
			t.Fatalf("unbounded field in %+v", e)
		}
	})
}

// TestSudoEventsFromTwoLogs adds the journal's copy of lines already read
// from auth.log (also an hour off, a syslog time read in another zone):
// counted once; a new journal line is added.
func TestSudoEventsFromTwoLogs(t *testing.T) {
	s := collect(t, targettest.Tree(t, appliance(t, nil)))
	before := s.sudoUsesOf("ops", nil)
	msg := "     ops : TTY=unknown ; PWD=/ ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx"
	e1, _ := ParseSudoMessage(msg)
	e1.Time = time.Date(2024, 1, 19, 3, 0, 1, 500, time.UTC)
	e2 := e1
	e2.Time = time.Date(2024, 1, 19, 3, 7, 31, 0, time.UTC)
	e3 := e1
	e3.Time = e1.Time.Add(time.Hour)
	s.addSudoEvents([]SudoEvent{e1, e2, e3}, "")
	after := s.sudoUsesOf("ops", nil)
	if len(before) != 1 || before[0].Count != 2 || len(after) != 1 || after[0].Count != 3 {
		t.Errorf("before %+v\nafter %+v", before, after)
	}
}

// TestJournalSudo reads sudo's lines from a journal systemd-journald
// wrote: the sudo log is read from the journal alone, and ops's commands
// without a terminal make requiring a password observed.
func TestJournalSudo(t *testing.T) {
	const p = "var/log/journal/0123456789abcdef0123456789abcdef/system@0001.journal"
	b, last := realJournal(t, "compact-archived1.journal")
	s, err := Collect(context.Background(), journalTarget(t, false, map[string][]byte{p: b}, nil), Options{Now: last.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if src := s.sourceStatus("sudo-log"); src.Status != SourceRead || strings.Join(src.Paths, ",") != "/"+p {
		t.Errorf("sudo-log source %+v", src)
	}
	wantImpact(t, assessOne(s, remedy.Effect{Kind: remedy.EffectSudoPassword, Subject: "ops"}), remedy.ImpactObserved,
		"ops used sudo without a terminal", "ops ran sudo /usr/bin/systemctl restart nginx as root", "(/"+p+")")
	wantImpact(t, assessOne(s, remedy.Effect{Kind: remedy.EffectSudoPassword, Subject: "alice"}), remedy.ImpactPossible,
		"alice used sudo on a terminal")
}

func TestCommandCovered(t *testing.T) {
	tests := []struct {
		grant []string
		cmd   string
		want  bool
	}{
		{nil, "/usr/bin/anything at all", true},
		{[]string{"/usr/bin/systemctl restart nginx"}, "/usr/bin/systemctl restart nginx", true},
		{[]string{"/usr/bin/systemctl restart nginx"}, "/usr/bin/systemctl stop nginx", false},
		{[]string{"/usr/bin/systemctl"}, "/usr/bin/systemctl stop nginx", true},
		{[]string{"/usr/bin/systemctl"}, "systemctl stop nginx", true}, // a script relying on PATH
		{[]string{`/usr/bin/id ""`}, "/usr/bin/id", true},
		{[]string{`/usr/bin/id ""`}, "/usr/bin/id -u", false},
		{[]string{"/usr/bin/apt-get *"}, "/usr/bin/apt-get upgrade -y", true},
		{[]string{`/usr/bin/echo NOPASSWD\: x`}, "/usr/bin/echo NOPASSWD: x", true},
		{[]string{"/usr/sbin/*"}, "/usr/sbin/reboot", true},
	}
	for _, tc := range tests {
		if got := commandCovered(tc.grant, tc.cmd); got != tc.want {
			t.Errorf("%q covers %q = %v, want %v", tc.grant, tc.cmd, got, tc.want)
		}
	}
}
