package impact

import (
	"fmt"
	"strings"

	"github.com/cradle-cra/cradle/internal/remedy"
)

// tally gathers the findings of the evidence readers for one effect, per
// level; the result is the worst level (none < possible < unknown <
// observed, as Assess ranks them) with its evidence, and for unknown also
// what was seen as possible.
type tally struct {
	ev [4][]string
}

func newTally(level string, ev []string) *tally {
	t := &tally{}
	t.raise(level, ev...)
	return t
}

// raise records evidence at level.
func (t *tally) raise(level string, ev ...string) {
	r := rank(level)
	t.ev[r] = append(t.ev[r], ev...)
}

// level is the worst level with evidence, none without any.
func (t *tally) level() string {
	for r := len(t.ev) - 1; r > 0; r-- {
		if len(t.ev[r]) > 0 {
			return [...]string{remedy.ImpactNone, remedy.ImpactPossible, remedy.ImpactUnknown, remedy.ImpactObserved}[r]
		}
	}
	return remedy.ImpactNone
}

func (t *tally) result() (string, []string) {
	l := t.level()
	ev := t.ev[rank(l)]
	if l == remedy.ImpactUnknown {
		ev = append(append([]string{}, ev...), t.ev[rank(remedy.ImpactPossible)]...)
	}
	return l, ev
}

// accountEffect is what an account change does, from the effect's value
// ("shell /usr/sbin/nologin", "password_max_days 365", "password locked").
type accountEffect int

const (
	accountOther    accountEffect = iota
	accountShell                  // login shell replaced (nologin)
	accountAgeing                 // password ageing, inactivity, expiry
	accountLock                   // password locked
	accountHarmless               // no effect on logging in or switching to it
)

func classifyAccountChange(value string) accountEffect {
	switch {
	case strings.HasPrefix(value, "shell "):
		return accountShell
	case strings.HasPrefix(value, "password_min_days ") || strings.HasPrefix(value, "password_warn_days ") || strings.HasPrefix(value, "gid "):
		return accountHarmless
	case strings.HasPrefix(value, "password_") || strings.HasPrefix(value, "expire"):
		return accountAgeing
	case value == "password locked":
		return accountLock
	}
	return accountOther
}

// accountUse rates an account change by every use of the account seen:
// SSH logins (authentication logs, wtmp, lastlog), console sessions, sudo
// use, and automation that switches to it with su or runuser or runs
// as it.
func (s *Signals) accountUse(e remedy.Effect) (string, []string) {
	user := e.Subject
	kind := classifyAccountChange(e.Value)
	if kind == accountHarmless {
		// How soon a password may be changed again, the warning before it
		// expires and root's primary group do not stop a login, su or a
		// job: the account's use is no evidence of impact.
		return remedy.ImpactNone, []string{fmt.Sprintf("%s for %s changes neither whether it can log in nor its shell", e.Value, user)}
	}
	v := newTally(s.accountChange(user))
	if ls := s.consoleLoginsOf(user); len(ls) > 0 {
		v.raise(remedy.ImpactObserved, fmt.Sprintf("%s logged in on a local terminal %s in %s", user, consoleText(ls), s.windowText()))
	}
	// su and runuser from root skip authentication but run the target's
	// shell and PAM account management: a nologin shell breaks the forms
	// that use the shell, an expired account breaks every form.
	active, inactive := s.automationFor(func(a Automation) bool {
		if a.Target != user || a.Tool == "sudo" && !a.LoginShell {
			return false
		}
		switch kind {
		case accountShell:
			return a.LoginShell
		case accountAgeing:
			return true
		}
		return false // a locked password does not stop su from root
	})
	why := "switches to it"
	level := remedy.ImpactPossible
	if kind == accountShell {
		why, level = "runs its login shell, which the change replaces", remedy.ImpactObserved
	}
	if len(active) > 0 {
		v.raise(level, fmt.Sprintf("automation %s: %s", why, list(automationText(active))))
	}
	if len(inactive) > 0 {
		v.raise(remedy.ImpactPossible, fmt.Sprintf("automation that is not enabled %s: %s", why, list(automationText(inactive))))
	}
	if kind == accountAgeing {
		// cron runs a user's jobs through PAM account management.
		runs, _ := s.automationFor(func(a Automation) bool { return a.RunsAs == user && a.Kind == "cron" })
		if len(runs) > 0 {
			v.raise(remedy.ImpactPossible, fmt.Sprintf("cron runs jobs as %s (an expired account's jobs are refused): %s", user, list(automationText(runs))))
		}
	}
	if kind == accountLock {
		if uses := s.sudoUsesOf(user, nil); len(uses) > 0 {
			v.raise(remedy.ImpactPossible, fmt.Sprintf("%s used sudo, which may ask for the password: %s", user, list(sudoUseText(uses))))
		}
	}
	if v.level() == remedy.ImpactNone {
		if l, ok := s.LastLogins[user]; ok {
			v.raise(remedy.ImpactNone, fmt.Sprintf("last login of %s per %s: %s from %s", user, l.File, l.Time.Format("2006-01-02 15:04 MST"), l.From))
		}
	}
	return v.result()
}

func (s *Signals) consoleLoginsOf(user string) []Login {
	var out []Login
	for _, l := range s.ConsoleLogins {
		if l.User == user {
			out = append(out, l)
		}
	}
	return out
}

// consoleText summarises console sessions: "2 times, last 2024-01-10 09:00 UTC on tty1 (/var/log/wtmp)".
func consoleText(ls []Login) string {
	last := ls[0]
	for _, l := range ls {
		if l.Time.After(last.Time) {
			last = l
		}
	}
	times := "once"
	if len(ls) > 1 {
		times = fmt.Sprintf("%d times", len(ls))
	}
	return fmt.Sprintf("%s, last %s on %s (%s)", times, last.Time.Format("2006-01-02 15:04 MST"), last.From, last.File)
}

func sudoUseText(us []SudoUse) []string {
	out := make([]string, 0, len(us))
	for _, u := range us {
		out = append(out, u.String())
	}
	return out
}
