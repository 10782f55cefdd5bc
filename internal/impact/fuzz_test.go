package impact

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func seedLines(f *testing.F, names ...string) {
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			f.Add(l)
		}
	}
}

func FuzzParseAccepted(f *testing.F) {
	seedLines(f, "auth.log", "auth.log.1", "secure")
	f.Add("Feb 29 00:00:00 h sshd[1]: Accepted x for y from ::1 port 1 ssh2")
	f.Fuzz(func(t *testing.T, line string) {
		l, ok := ParseAccepted(line, now)
		if !ok {
			return
		}
		if l.User == "" || l.Method == "" || l.Port < 0 || l.Port > 65535 {
			t.Fatalf("accepted %q as %+v", line, l)
		}
		if !strings.Contains(line, l.User) || !strings.Contains(line, l.From) {
			t.Fatalf("fields not from the line: %+v", l)
		}
	})
}

func FuzzParseSockets(f *testing.F) {
	for _, n := range []string{"proc-net-tcp", "proc-net-tcp6", "proc-net-udp", "proc-net-udp6"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, proto := range []string{"tcp", "udp"} {
			ss, err := ParseSockets(b, proto)
			if err != nil {
				t.Fatal(err)
			}
			if len(ss) > maxSockets {
				t.Fatalf("%d sockets", len(ss))
			}
			for _, s := range ss {
				_ = s.Listening()
				_ = s.Established()
			}
		}
	})
}

func FuzzUnitFromCgroup(f *testing.F) {
	f.Add([]byte("0::/system.slice/ssh.service\n"))
	f.Add([]byte("12:pids:/system.slice/cron.service\n1:name=systemd:/system.slice/cron.service\n"))
	f.Add([]byte("0::/user.slice/user-1000.slice/session-3.scope\n"))
	f.Add([]byte("0::/\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		u := UnitFromCgroup(b)
		if u != "" && (!isUnitName(u) || strings.Contains(u, "/") || !bytes.Contains(b, []byte(u))) {
			t.Fatalf("unit %q from %q", u, b)
		}
	})
}

func FuzzParseUnit(f *testing.F) {
	for _, n := range []string{"nginx.service", "cups.socket", "cups.service", "ssh.service"} {
		b, err := os.ReadFile(filepath.Join("testdata", "units", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		deps, listen := parseUnit(b)
		for _, d := range deps {
			if d.To == "" || strings.ContainsAny(d.To, " \t") {
				t.Fatalf("dep %+v", d)
			}
		}
		if len(listen) > 64 {
			t.Fatalf("%d listen entries", len(listen))
		}
	})
}

func FuzzCountKeys(f *testing.F) {
	f.Add([]byte("# comment\n" + rootKey + "\n  \n"))
	f.Add([]byte(strings.Repeat("x", 70000) + "\nssh-rsa AAAA\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := CountKeys(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if n > bytes.Count(b, []byte("\n"))+1 {
			t.Fatalf("%d keys in %d lines", n, bytes.Count(b, []byte("\n"))+1)
		}
	})
}

// TestEachLineLimits checks the line and byte limits of the reader every
// parser uses.
func TestEachLineLimits(t *testing.T) {
	in := "short\n" + strings.Repeat("x", 100) + "\nafter\r\nlast"
	var got []string
	trunc, err := eachLine(strings.NewReader(in), 10, 1<<20, func(l []byte) bool {
		got = append(got, string(l))
		return true
	})
	if err != nil || trunc {
		t.Fatal(err, trunc)
	}
	if strings.Join(got, "|") != "short|after|last" {
		t.Errorf("lines = %q", got)
	}
	got = nil
	trunc, _ = eachLine(strings.NewReader(in), 10, 8, func(l []byte) bool {
		got = append(got, string(l))
		return true
	})
	if !trunc || got[0] != "short" {
		t.Errorf("byte limit: truncated %v, lines %q", trunc, got)
	}
	// A long line spanning several buffer fills is skipped as a whole.
	big := strings.Repeat("y", 200<<10)
	got = nil
	_, _ = eachLine(strings.NewReader("a\n"+big+"\nb\n"), 1024, 1<<20, func(l []byte) bool {
		got = append(got, string(l))
		return true
	})
	if strings.Join(got, "|") != "a|b" {
		t.Errorf("long line: %d lines", len(got))
	}
}

// FuzzEachLineBackward checks the backward line reader against the
// forward one on any input and line limit.
func FuzzEachLineBackward(f *testing.F) {
	f.Add([]byte("a\nbb\r\n\nccc"), 4)
	f.Add([]byte("\n\n\n"), 1)
	f.Fuzz(func(t *testing.T, b []byte, maxLine int) {
		if maxLine < 1 || maxLine > 1<<16 {
			return
		}
		sameLinesBackward(t, b, maxLine)
	})
}
