package impact

import (
	"context"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/collect/sdjournal"
	"github.com/cradle-cra/cradle/internal/target"
)

// Identifiers (SYSLOG_IDENTIFIER) of the journal entries the preflight
// reads: sshd's accepted logins (OpenSSH 9.8 and later log them from
// sshd-session) and sudo's command lines.
var (
	journalSSHD = []string{sshdProgName, "sshd-session"}
	journalSudo = "sudo"
)

// journalLogs is what reading the systemd journal found.
type journalLogs struct {
	logins []Login
	sudo   []journalMessage // sudo's messages, for the sudo log parser
	files  []string
	gaps   []string
	src    Source
}

// journalMessage is one MESSAGE of the journal with its time and file.
type journalMessage struct {
	Time    time.Time
	Message string
	File    string
}

// readJournal reads sshd's and sudo's entries within the window from the
// systemd journal files of t: /var/log/journal, and on a live target
// also /run/log/journal. Entries are found through each file's own
// index, newest file first, within sdjournal's default bounds; damaged
// or unreadable files are gaps, not errors.
func readJournal(ctx context.Context, t target.Target, now time.Time, window time.Duration) (*journalLogs, error) {
	q := sdjournal.Query{Since: now.Add(-window), Fields: []string{"MESSAGE", "SYSLOG_IDENTIFIER", "_PID"},
		Keep: func(e *sdjournal.Entry) bool {
			return e.Get("SYSLOG_IDENTIFIER") == journalSudo || strings.HasPrefix(e.Get("MESSAGE"), "Accepted ")
		}}
	for _, id := range append(journalSSHD, journalSudo) {
		q.Match = append(q.Match, sdjournal.Match{Field: "SYSLOG_IDENTIFIER", Value: id})
	}
	dirs := sdjournal.Dirs(t.Live())
	// As many entries as auth.log may give: a cron job running sudo every
	// minute logs 43,200 lines in 30 days.
	res, err := sdjournal.Read(ctx, t, dirs, q, sdjournal.Limits{Entries: maxLogins + maxSudoEvents})
	if err != nil {
		return nil, err
	}
	out := &journalLogs{files: res.Files, gaps: res.Gaps}
	for _, e := range res.Entries {
		msg := e.Get("MESSAGE")
		switch id := e.Get("SYSLOG_IDENTIFIER"); {
		case id == journalSudo:
			out.sudo = append(out.sudo, journalMessage{Time: e.Time.In(now.Location()), Message: msg, File: e.File})
		case strings.HasPrefix(msg, "Accepted "):
			l, ok := acceptedMessage(msg)
			if !ok || e.Time.After(now.Add(futureSlack)) {
				continue
			}
			l.Time, l.File = e.Time.In(now.Location()), e.File
			out.logins = append(out.logins, l)
		}
	}
	out.src = journalSource(dirs, res)
	return out, nil
}

// journalSource describes the reading: read when every journal file with
// entries in the window was read back to its start, partial when one was
// not (or could not be read), missing when there is no journal.
func journalSource(dirs []string, res *sdjournal.Result) Source {
	src := Source{Name: SourceJournal, Status: SourceRead, Paths: res.Files}
	switch {
	case len(res.Files) == 0 && len(res.Gaps) > 0:
		src.Status, src.Detail = SourceMissing, list(res.Gaps)
	case len(res.Files) == 0 && len(res.Dirs) == 0 && len(dirs) == 1:
		src.Status, src.Detail = SourceMissing, "no persistent journal under "+target.Abs(dirs[0])
	case len(res.Files) == 0 && len(res.Dirs) == 0:
		var where []string
		for _, d := range dirs {
			where = append(where, target.Abs(d))
		}
		src.Status, src.Detail = SourceMissing, "no journal under "+strings.Join(where, " or ")
	case len(res.Files) == 0:
		// Journal files that all end before the window were read (their
		// headers): nothing in the window. No file at all is no journal.
		src.Paths = res.Dirs
		if res.Candidates == 0 {
			src.Status, src.Detail = SourceMissing, "no journal files in "+list(res.Dirs)
		}
	case len(res.Gaps) > 0:
		src.Status, src.Detail = SourcePartial, list(res.Gaps)
	}
	return src
}

// collectJournal adds what the journal says to s. Logins the
// authentication log already holds are not added again: rsyslog writes
// what journald forwards, so one login is often in both, with timestamps
// that differ by the forwarding delay or by the time zone of a
// traditional syslog timestamp.
func (s *Signals) collectJournal(ctx context.Context, t target.Target, opts Options) error {
	jl, err := readJournal(ctx, t, opts.Now, opts.Window)
	if err != nil {
		return err
	}
	s.addLogins(newLogins(s.Logins, jl.logins))
	s.AddSource(jl.src)
	s.addJournalSudo(jl)
	s.LogFiles = union(s.LogFiles, jl.files)
	s.LogGaps = union(s.LogGaps, jl.gaps)
	return nil
}

// newLogins returns the logins of add that are not in have.
func newLogins(have, add []Login) []Login {
	type conn struct {
		user, method, from string
		port               int
	}
	idx := map[conn][]time.Time{}
	for _, l := range have {
		c := conn{l.User, l.Method, l.From, l.Port}
		idx[c] = append(idx[c], l.Time)
	}
	var out []Login
	for _, l := range add {
		dup := false
		for _, tm := range idx[conn{l.User, l.Method, l.From, l.Port}] {
			if sameMoment(tm, l.Time) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, l)
		}
	}
	return out
}

// sameMoment reports whether two timestamps of one logged event agree:
// within a few seconds, or off by a whole time-zone offset (a multiple
// of 15 minutes, at most 15 hours) when one was a syslog timestamp
// without a zone read in another zone than the host's.
func sameMoment(a, b time.Time) bool {
	const slack = 3 * time.Second
	d := a.Sub(b)
	if d < 0 {
		d = -d
	}
	if d <= slack {
		return true
	}
	if d > 15*time.Hour+slack {
		return false
	}
	r := d % (15 * time.Minute)
	return r <= slack || 15*time.Minute-r <= slack
}
