package impact

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/target"
)

// Login is one accepted SSH login from an authentication log.
type Login struct {
	Time   time.Time `json:"time"`
	User   string    `json:"user"`
	Method string    `json:"method"` // password, publickey, keyboard-interactive/pam, ...
	From   string    `json:"from"`
	Port   int       `json:"port"`
	File   string    `json:"file"`
}

// PasswordLike reports whether the login used a password typed by someone
// (password or keyboard-interactive), which PasswordAuthentication and
// KbdInteractiveAuthentication=no end.
func (l Login) PasswordLike() bool {
	return l.Method == "password" || strings.HasPrefix(l.Method, "keyboard-interactive")
}

func (l Login) key() string {
	return fmt.Sprintf("%d|%s|%s|%s|%d", l.Time.UnixNano(), l.User, l.Method, l.From, l.Port)
}

// Limits on authentication logs: a busy host under brute force writes a
// lot, and an offline root may carry anything.
const (
	maxLogFiles  = 32
	maxLogBytes  = 256 << 20 // per file, after decompression
	maxLogTotal  = 1 << 30
	maxLogLine   = 8 << 10
	maxLogins    = 50000
	futureSlack  = 48 * time.Hour // clock skew and time zones
	logDir       = "var/log"
	sshdProgName = "sshd"
)

// authLogFiles lists the Debian (auth.log*) and Red Hat (secure*) logs,
// current file first, then rotations in name order.
func authLogFiles(t target.Target) ([]string, error) {
	var out []string
	for _, pat := range []string{"auth.log*", "secure*"} {
		m, err := target.Glob(t, logDir, pat)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", target.Abs(logDir), err)
		}
		sort.SliceStable(m, func(i, j int) bool { return len(m[i]) < len(m[j]) || len(m[i]) == len(m[j]) && m[i] < m[j] })
		out = append(out, m...)
	}
	if len(out) > maxLogFiles {
		out = out[:maxLogFiles]
	}
	return out, nil
}

// readAuthLogs collects accepted SSH logins within the window from the
// authentication logs of t. Unreadable files become problems, not errors.
func readAuthLogs(ctx context.Context, t target.Target, now time.Time, window time.Duration) (logins []Login, files, problems []string, err error) {
	names, err := authLogFiles(t)
	if err != nil {
		return nil, nil, []string{err.Error()}, nil
	}
	seen := map[string]bool{}
	var total int64
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, err
		}
		fi, err := t.Stat(name)
		if err != nil || !fi.Mode.IsRegular() {
			continue // FIFOs and devices would block or never end
		}
		if total >= maxLogTotal {
			problems = append(problems, fmt.Sprintf("%s: skipped, %d bytes of logs already read", target.Abs(name), total))
			continue
		}
		n, trunc, err := readAuthLog(t, name, now, window, func(l Login) {
			k := l.key()
			if seen[k] || len(logins) >= maxLogins {
				return
			}
			seen[k] = true
			logins = append(logins, l)
		})
		total += n
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if trunc {
			problems = append(problems, fmt.Sprintf("%s: read only the first %d bytes", target.Abs(name), maxLogBytes))
		}
		files = append(files, target.Abs(name))
	}
	if len(logins) >= maxLogins {
		problems = append(problems, fmt.Sprintf("more than %d SSH logins: later ones not kept", maxLogins))
	}
	return logins, files, problems, nil
}

// countingReader counts bytes for the total log budget.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func readAuthLog(t target.Target, name string, now time.Time, window time.Duration, fn func(Login)) (int64, bool, error) {
	rc, err := t.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("auth log: %w", err)
	}
	defer rc.Close()
	var r io.Reader = rc
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(rc)
		if err != nil {
			return 0, false, fmt.Errorf("auth log %s: %w", target.Abs(name), err)
		}
		defer zr.Close()
		r = zr
	}
	cr := &countingReader{r: r}
	abs := target.Abs(name)
	trunc, err := eachLine(cr, maxLogLine, maxLogBytes, func(line []byte) bool {
		if !bytes.Contains(line, []byte("Accepted ")) {
			return true
		}
		l, ok := ParseAccepted(string(line), now)
		if !ok || l.Time.Before(now.Add(-window)) || l.Time.After(now.Add(futureSlack)) {
			return true
		}
		l.File = abs
		fn(l)
		return true
	})
	if err != nil {
		return cr.n, trunc, fmt.Errorf("auth log %s: %w", abs, err)
	}
	return cr.n, trunc, nil
}

// ParseAccepted parses an OpenSSH "Accepted <method> for <user> from <ip>
// port <n> ssh2" syslog line. Timestamps are RFC 3339 (rsyslog's
// high-precision format, Debian 12) or the traditional "Jan  2 15:04:05"
// without a year, which is inferred from now: the latest year that does
// not put the line in the future (a December line read in January belongs
// to last year). Traditional timestamps are read in now's location.
func ParseAccepted(line string, now time.Time) (Login, bool) {
	var l Login
	var rest string
	if len(line) > 0 && line[0] >= '0' && line[0] <= '9' {
		ts, r, ok := strings.Cut(line, " ")
		if !ok {
			return l, false
		}
		tm, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return l, false
		}
		l.Time, rest = tm, r
	} else {
		if len(line) < 16 || line[15] != ' ' {
			return l, false
		}
		tm, ok := syslogTime(line[:15], now)
		if !ok {
			return l, false
		}
		l.Time, rest = tm, line[16:]
	}
	// "host prog[pid]: message"
	f := strings.SplitN(strings.TrimLeft(rest, " "), " ", 3)
	if len(f) < 3 {
		return l, false
	}
	prog := f[1]
	if i := strings.IndexAny(prog, "[:"); i >= 0 {
		prog = prog[:i]
	}
	if prog != sshdProgName && prog != "sshd-session" {
		return l, false
	}
	msg, ok := strings.CutPrefix(f[2], "Accepted ")
	if !ok {
		return l, false
	}
	w := strings.Fields(msg)
	// method for user from ip port n ssh2
	if len(w) < 7 || w[1] != "for" || w[3] != "from" || w[5] != "port" {
		return l, false
	}
	port, err := strconv.Atoi(w[6])
	if err != nil || port < 0 || port > 65535 {
		return l, false
	}
	if _, err := netip.ParseAddr(w[4]); err != nil {
		return l, false
	}
	l.Method, l.User, l.From, l.Port = w[0], w[2], w[4], port
	return l, true
}

// syslogTime parses "Jan  2 15:04:05" and picks the year.
func syslogTime(s string, now time.Time) (time.Time, bool) {
	p, err := time.ParseInLocation("Jan _2 15:04:05", s, now.Location())
	if err != nil {
		return time.Time{}, false
	}
	for y := now.Year(); y >= now.Year()-4; y-- {
		tm := time.Date(y, p.Month(), p.Day(), p.Hour(), p.Minute(), p.Second(), 0, now.Location())
		if tm.Month() != p.Month() {
			continue // Feb 29 outside a leap year
		}
		if !tm.After(now.Add(futureSlack)) {
			return tm, true
		}
	}
	return time.Time{}, false
}
