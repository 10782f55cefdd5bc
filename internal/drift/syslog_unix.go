//go:build !windows

package drift

import (
	"fmt"
	"net"
	"os"
	"sync"
)

// DefaultSyslogSocket is the local syslog daemon's socket.
const DefaultSyslogSocket = "/dev/log"

// Syslog sends events to the local syslog daemon over its unix socket.
type Syslog struct {
	mu     sync.Mutex
	path   string
	conn   net.Conn
	stream bool
}

// DialSyslog connects to the unix socket at path (datagram, else stream).
func DialSyslog(path string) (*Syslog, error) {
	s := &Syslog{path: path}
	if err := s.connect(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Syslog) connect() error {
	c, err := net.Dial("unixgram", s.path)
	if err == nil {
		s.conn, s.stream = c, false
		return nil
	}
	c, err2 := net.Dial("unix", s.path)
	if err2 != nil {
		return fmt.Errorf("syslog %s: %w", s.path, err)
	}
	s.conn, s.stream = c, true
	return nil
}

// Send writes one message; a broken connection (syslog daemon restarted)
// is re-established once.
func (s *Syslog) Send(ev Event) error {
	msg, err := syslogMessage(ev, hostname(), os.Getpid())
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stream {
		msg = append(msg, '\n')
	}
	if _, err = s.conn.Write(msg); err == nil {
		return nil
	}
	s.conn.Close()
	if cerr := s.connect(); cerr != nil {
		return cerr
	}
	if _, err = s.conn.Write(msg); err != nil {
		return fmt.Errorf("syslog %s: %w", s.path, err)
	}
	return nil
}

// Close closes the connection.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn.Close()
}
