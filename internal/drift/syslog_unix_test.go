//go:build !windows

package drift

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSyslogOverUnixSocket(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: p, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s, err := DialSyslog(p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Send(Event{Event: EventResolved, Time: time.Now(), Target: "host"}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	l.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := l.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if msg := string(buf[:n]); !strings.HasPrefix(msg, "<37>1 ") || !strings.Contains(msg, " cradle ") || !strings.Contains(msg, " resolved - {") {
		t.Errorf("message %q", msg)
	}
	if _, err := DialSyslog(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("dialling a missing socket succeeded")
	}
}
