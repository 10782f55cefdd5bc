package impact

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cradle-cra/cradle/internal/collect/sudoers"
	"github.com/cradle-cra/cradle/internal/target"
)

// evidence is what the login records, sudo's log lines, scheduled jobs
// and unit commands say about who uses which account and privilege. It
// is embedded in Signals; its JSON fields appear there.
type evidence struct {
	// SudoUses are the commands run (or refused) through sudo within the
	// window, per user, target user and command, from sudo's own lines in
	// the authentication logs.
	SudoUses []SudoUse `json:"sudo_uses,omitempty"`
	// Automation lists cron jobs, unit commands and the scripts they call
	// that switch accounts (sudo, su, runuser).
	Automation []Automation `json:"automation,omitempty"`
	// ConsoleLogins are local sessions (tty, X) from wtmp and lastlog;
	// remote sessions join Logins.
	ConsoleLogins []Login `json:"console_logins,omitempty"`
	// LastLogins is every account's last login per lastlog, in the
	// window or not.
	LastLogins map[string]Login `json:"last_logins,omitempty"`
	// FailedLogins counts btmp records within the window.
	FailedLogins int `json:"failed_logins,omitempty"`
	// UserCrontabs are the users' own crontabs in the spool.
	UserCrontabs []userCrontab `json:"user_crontabs,omitempty"`

	// programs maps executables that automation runs to where (bounded).
	programs map[string][]string
	// sudoGaps say why sudo's lines were not all seen.
	sudoGaps []string
	// sudoSeen holds the seconds of each sudo event read (sudoSeenN in
	// all), so that the journal's copy of a logged line is not counted
	// again.
	sudoSeen  map[string][]int64
	sudoSeenN int
	// sudoersPolicy is the target's sudoers, read once for Cmnd_Alias
	// names in effects.
	sudoersOnce   sync.Once
	sudoersPolicy *sudoers.Policy
	// aliases maps unit alias names (symlinks in unit directories) to
	// what they point to; dbusNames maps units to the D-Bus names that
	// activate them.
	aliases   map[string]string
	dbusNames map[string][]string
}

// sourceStatus returns the source recorded under name, missing when it
// was not looked at.
func (s *Signals) sourceStatus(name string) Source {
	if src, ok := s.Source(name); ok {
		return src
	}
	return Source{Name: name, Status: SourceMissing}
}

// addSudo keeps sudo's lines from the authentication logs and records
// the sudo-log source.
func (s *Signals) addSudo(logs *authLogs) {
	s.noteSudoSeen(logs.sudo)
	var dropped bool
	s.SudoUses, dropped = addSudoUses(s.SudoUses, sudoUses(logs.sudo))
	if dropped {
		s.sudoGaps = union(s.sudoGaps, []string{fmt.Sprintf("more than %d distinct sudo commands: the rest not kept", maxSudoUses)})
	}
	if logs.sudoGap != "" {
		s.sudoGaps = union(s.sudoGaps, []string{logs.sudoGap})
	}
	src := Source{Name: "sudo-log", Status: SourceRead, Paths: logs.files}
	switch {
	case len(logs.files) == 0:
		src.Status, src.Detail = SourceMissing, "no authentication log under /var/log"
	case len(logs.gaps) > 0 || len(s.sudoGaps) > 0:
		src.Status, src.Detail = SourcePartial, list(union(append([]string{}, logs.gaps...), s.sudoGaps))
	}
	s.AddSource(src)
}

// maxDerivedSkew is how close a wtmp or lastlog entry must be to a login
// already known from the authentication log to be the same login.
const maxDerivedSkew = 5 * time.Second

// addRecordLogins adds remote sessions from wtmp and lastlog to Logins
// unless the authentication log already has them, and keeps console
// sessions apart (they are not SSH logins).
func (s *Signals) addRecordLogins(remote, console []Login) {
	// wtmp and lastlog record the same session too (lastlog to the
	// second): logins are indexed by user and second.
	type at struct {
		user string
		sec  int64
	}
	index := func(ls []Login) map[at]bool {
		m := make(map[at]bool, len(ls))
		for _, l := range ls {
			m[at{l.User, l.Time.Unix()}] = true
		}
		return m
	}
	near := func(m map[at]bool, l Login) bool {
		for d := -int64(maxDerivedSkew / time.Second); d <= int64(maxDerivedSkew/time.Second); d++ {
			if m[at{l.User, l.Time.Unix() + d}] {
				return true
			}
		}
		return false
	}
	known := index(s.Logins)
	var add []Login
	for _, l := range remote {
		if !near(known, l) {
			known[at{l.User, l.Time.Unix()}] = true
			add = append(add, l)
		}
	}
	s.addLogins(add)
	known = index(s.ConsoleLogins)
	for _, l := range console {
		if !near(known, l) && len(s.ConsoleLogins) < maxUtmpLogins {
			known[at{l.User, l.Time.Unix()}] = true
			s.ConsoleLogins = append(s.ConsoleLogins, l)
		}
	}
}

// collectEvidence reads the login records and the automation of t.
func (s *Signals) collectEvidence(ctx context.Context, t target.Target, opts Options, ui *unitInfo) error {
	lr, err := readLoginRecords(ctx, t, opts.Now, opts.Window)
	if err != nil {
		return err
	}
	s.addRecordLogins(lr.remote, lr.console)
	if s.LastLogins == nil {
		s.LastLogins = map[string]Login{}
	}
	for u, l := range lr.last {
		if o, ok := s.LastLogins[u]; !ok || l.Time.After(o.Time) {
			s.LastLogins[u] = l
		}
	}
	s.FailedLogins += len(lr.failed)
	for _, src := range lr.sources {
		s.AddSource(src)
	}
	s.Problems = union(s.Problems, lr.problems)
	if s.aliases == nil {
		s.aliases = ui.aliases
	}
	s.dbusNames = readDBusServices(t, s.dbusNames)
	return s.collectAutomation(ctx, t, ui.execs)
}

// mergeEvidence adds what o's readers found to s.
func (s *Signals) mergeEvidence(o *Signals) {
	s.SudoUses, _ = addSudoUses(s.SudoUses, o.SudoUses)
	s.sudoGaps = union(s.sudoGaps, o.sudoGaps)
	s.addRecordLogins(nil, o.ConsoleLogins)
	if len(o.LastLogins) > 0 && s.LastLogins == nil {
		s.LastLogins = map[string]Login{}
	}
	for u, l := range o.LastLogins {
		if c, ok := s.LastLogins[u]; !ok || l.Time.After(c.Time) {
			s.LastLogins[u] = l
		}
	}
	s.FailedLogins = max(s.FailedLogins, o.FailedLogins)
	s.addAutomation(o.Automation, o.programs)
	s.addUserCrontabs(o.UserCrontabs)
	if s.aliases == nil {
		s.aliases = o.aliases
	}
	if s.dbusNames == nil {
		s.dbusNames = o.dbusNames
	}
}

// evidenceSummary describes sudo use, automation and login records, one
// line each, for Summary.
func (s *Signals) evidenceSummary() []string {
	users := map[string]bool{}
	noTTY := 0
	for _, u := range s.SudoUses {
		users[u.User] = true
		noTTY += u.NoTTY
	}
	var tools orderedSet
	for _, a := range s.Automation {
		tools.add(fmt.Sprintf("%s to %s as %s", a.Tool, a.Target, a.RunsAs))
	}
	return []string{
		fmt.Sprintf("sudo use: %d distinct command(s) by %s, %d run without a terminal", len(s.SudoUses), orNone(sortedKeys(users)), noTTY),
		fmt.Sprintf("automation: %d account switch(es) in crontabs, units and scripts: %s", len(s.Automation), orNone(tools.list)),
		fmt.Sprintf("login records: %d console session(s), last logins of %d account(s), %d failed login(s) in %s", len(s.ConsoleLogins), len(s.LastLogins), s.FailedLogins, s.windowText()),
	}
}
