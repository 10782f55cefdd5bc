package impact

import (
	"bytes"
	"compress/gzip"
	"context"
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
// lot, and an offline root may carry anything. Logs are read newest first
// and each plain file from its end backwards, so the budget is spent on
// the window and a recent login is never behind megabytes of noise.
const (
	maxLogFiles = 32
	// DefaultLogBudget bounds the bytes read from all authentication logs
	// together (after decompression). When it runs out before the start
	// of the window, "no login seen" is not evidence and the verdict is
	// possible, not none.
	DefaultLogBudget = 1 << 30
	maxLogLine       = 8 << 10
	maxLogins        = 50000
	// oldLinesToStop is how many consecutive lines before the window a
	// backwards read must see before it stops: one stray old timestamp
	// does not end it.
	oldLinesToStop = 100
	futureSlack    = 48 * time.Hour // clock skew and time zones
	logDir         = "var/log"
	sshdProgName   = "sshd"
)

// authLogFiles lists the Debian (auth.log*) and Red Hat (secure*) logs,
// most recently changed first (the current file, then rotations, whether
// numbered or dated), and how many more there were than maxLogFiles.
func authLogFiles(t target.Target) ([]target.FileInfo, int, error) {
	var out []target.FileInfo
	for _, pat := range []string{"auth.log*", "secure*"} {
		m, err := target.Glob(t, logDir, pat)
		if err != nil {
			return nil, 0, fmt.Errorf("list %s: %w", target.Abs(logDir), err)
		}
		for _, name := range m {
			fi, err := t.Stat(name)
			if err != nil || !fi.Mode.IsRegular() {
				continue // FIFOs and devices would block or never end
			}
			fi.Path = name
			out = append(out, fi)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.ModTime.Equal(b.ModTime) {
			return a.ModTime.After(b.ModTime)
		}
		return len(a.Path) < len(b.Path) || len(a.Path) == len(b.Path) && a.Path < b.Path
	})
	more := 0
	if len(out) > maxLogFiles {
		out, more = out[:maxLogFiles], len(out)-maxLogFiles
	}
	return out, more, nil
}

// authLogs is what reading the authentication logs found.
type authLogs struct {
	logins []Login
	files  []string // files read (to the window's start or completely)
	// gaps say why the logs were not read completely within the window;
	// any gap means an absent login is not evidence.
	gaps     []string
	problems []string
	sudo     []SudoEvent
	sudoGap  string
}

// readAuthLogs collects accepted SSH logins within the window from the
// authentication logs of t, reading at most budget bytes in all.
// Unreadable files become problems and gaps, not errors.
func readAuthLogs(ctx context.Context, t target.Target, now time.Time, window time.Duration, budget int64) (*authLogs, error) {
	out := &authLogs{}
	names, more, err := authLogFiles(t)
	if err != nil {
		out.problems = append(out.problems, err.Error())
		out.gaps = append(out.gaps, err.Error())
		return out, nil
	}
	if more > 0 {
		out.gaps = append(out.gaps, fmt.Sprintf("%d older authentication log file(s) beyond the first %d not read", more, maxLogFiles))
	}
	seen := map[string]bool{}
	start := now.Add(-window)
	r := &logScan{now: now, start: start, budget: budget}
	r.keep = func(l Login) {
		k := l.key()
		if seen[k] {
			return
		}
		if len(out.logins) >= maxLogins {
			r.full = true
			return
		}
		seen[k] = true
		out.logins = append(out.logins, l)
	}
	r.keepSudo = func(e SudoEvent) {
		if len(out.sudo) >= maxSudoEvents {
			r.sudoFull = true
			return
		}
		out.sudo = append(out.sudo, e)
	}
	for _, fi := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		abs := target.Abs(fi.Path)
		if !fi.ModTime.IsZero() && fi.ModTime.Before(start.Add(-futureSlack)) {
			continue // last written before the window: nothing in it counts
		}
		if r.budget <= 0 {
			out.gaps = append(out.gaps, fmt.Sprintf("%s: not read, the budget of %d bytes for authentication logs was spent", abs, budget))
			continue
		}
		complete, err := r.file(t, fi.Path)
		if err != nil {
			out.problems = append(out.problems, err.Error())
			out.gaps = append(out.gaps, err.Error())
			continue
		}
		out.files = append(out.files, abs)
		if !complete {
			out.gaps = append(out.gaps, fmt.Sprintf("%s: not read back to the start of the window, the budget of %d bytes for authentication logs was spent", abs, budget))
		}
	}
	if r.sudoFull {
		out.sudoGap = fmt.Sprintf("more than %d sudo commands in the window: the rest were not kept", maxSudoEvents)
	}
	if r.full {
		out.gaps = append(out.gaps, fmt.Sprintf("more than %d SSH logins in the window: the rest were not kept", maxLogins))
	}
	return out, nil
}

// logScan reads authentication logs within a shared byte budget.
type logScan struct {
	now, start time.Time
	budget     int64
	keep       func(Login)
	keepSudo   func(SudoEvent) // sudo's own lines (sudolog.go)
	full       bool
	sudoFull   bool
}

// line handles one log line and reports whether reading backwards should
// go on: it stops after oldLinesToStop consecutive lines dated before the
// window.
func (r *logScan) line(abs string, line []byte, old *int) bool {
	tm, ok := lineTime(line, r.now)
	if !ok {
		return true
	}
	if tm.Before(r.start) {
		*old++
		return *old < oldLinesToStop
	}
	*old = 0
	if r.keepSudo != nil && bytes.Contains(line, []byte("COMMAND=")) {
		if e, ok := ParseSudoLine(string(line), r.now); ok {
			if !e.Time.After(r.now.Add(futureSlack)) {
				e.File = abs
				r.keepSudo(e)
			}
			return true
		}
	}
	if !bytes.Contains(line, []byte("Accepted ")) {
		return true
	}
	l, ok := ParseAccepted(string(line), r.now)
	if !ok || l.Time.After(r.now.Add(futureSlack)) {
		return true
	}
	l.File = abs
	r.keep(l)
	return true
}

// sizedReaderAt is what a backwards read needs: an open regular file.
type sizedReaderAt interface {
	io.ReaderAt
	Stat() (fs.FileInfo, error)
}

// file reads one log: a plain file that can be read at offsets backwards
// from its end until the window starts, anything else (gzip rotations,
// image content) forwards in full. It reports whether the file was read
// back to the window's start or completely within the budget.
func (r *logScan) file(t target.Target, name string) (bool, error) {
	abs := target.Abs(name)
	rc, err := t.Open(name)
	if err != nil {
		return false, fmt.Errorf("auth log %s: %w", abs, err)
	}
	defer rc.Close()
	old := 0
	each := func(line []byte) bool { return r.line(abs, line, &old) }
	if ra, ok := rc.(sizedReaderAt); ok && !strings.HasSuffix(name, ".gz") {
		fi, err := ra.Stat()
		if err != nil {
			return false, fmt.Errorf("auth log %s: %w", abs, err)
		}
		n, done, err := eachLineBackward(ra, fi.Size(), maxLogLine, r.budget, each)
		r.budget -= n
		if err != nil {
			return false, fmt.Errorf("auth log %s: %w", abs, err)
		}
		return done, nil
	}
	var in io.Reader = rc
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(rc)
		if err != nil {
			return false, fmt.Errorf("auth log %s: %w", abs, err)
		}
		defer zr.Close()
		in = zr
	}
	// Forwards, every line counts: the window's start is no reason to stop.
	cr := &countingReader{r: in}
	trunc, err := eachLine(cr, maxLogLine, r.budget, func(line []byte) bool {
		r.line(abs, line, &old)
		return true
	})
	r.budget -= cr.n
	if err != nil {
		return false, fmt.Errorf("auth log %s: %w", abs, err)
	}
	return !trunc, nil
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

// lineTime reads the timestamp that starts a syslog line: RFC 3339
// (rsyslog's high-precision format) or the traditional "Jan  2 15:04:05"
// with the year inferred from now (see ParseAccepted).
func lineTime(line []byte, now time.Time) (time.Time, bool) {
	if len(line) > 0 && line[0] >= '0' && line[0] <= '9' {
		ts, _, ok := bytes.Cut(line, []byte(" "))
		if !ok || len(ts) > 64 {
			return time.Time{}, false
		}
		tm, err := time.Parse(time.RFC3339Nano, string(ts))
		return tm, err == nil
	}
	if len(line) < 16 || line[15] != ' ' {
		return time.Time{}, false
	}
	return syslogTime(string(line[:15]), now)
}

// ParseAccepted parses an OpenSSH "Accepted <method> for <user> from <ip>
// port <n> ssh2" syslog line. Timestamps are RFC 3339 (rsyslog's
// high-precision format, Debian 12) or the traditional "Jan  2 15:04:05"
// without a year, which is inferred from now: the latest year that does
// not put the line in the future (a December line read in January belongs
// to last year). Traditional timestamps are read in now's location.
func ParseAccepted(line string, now time.Time) (Login, bool) {
	var l Login
	tm, prog, msg, ok := syslogMessage(line, now)
	if !ok {
		return l, false
	}
	if prog != sshdProgName && prog != "sshd-session" {
		return l, false
	}
	a, ok := acceptedMessage(msg)
	if !ok {
		return l, false
	}
	a.Time = tm
	return a, true
}

// acceptedMessage parses sshd's message "Accepted <method> for <user>
// from <ip> port <n> ssh2", as logged to syslog or the journal.
func acceptedMessage(msg string) (Login, bool) {
	var l Login
	msg, ok := strings.CutPrefix(msg, "Accepted ")
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
