//go:build windows

package drift

import "errors"

// DefaultSyslogSocket is not used on Windows.
const DefaultSyslogSocket = ""

// Syslog is unavailable on Windows.
type Syslog struct{}

// DialSyslog always fails on Windows: there is no local syslog socket.
func DialSyslog(path string) (*Syslog, error) {
	return nil, errors.New("syslog: not supported on windows")
}

// Send does nothing.
func (s *Syslog) Send(ev Event) error { return nil }

// Close does nothing.
func (s *Syslog) Close() error { return nil }
