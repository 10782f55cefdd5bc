package impact

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/collect/sudoers"
	"github.com/cradle-cra/cradle/internal/remedy"
)

// addSudoEvents adds sudo events read from another source (the systemd
// journal's MESSAGE fields through ParseSudoMessage); gap, when set, says
// why that source was not read completely. An event already read from a
// text log (rsyslog writes what journald forwards) is not counted twice.
func (s *Signals) addSudoEvents(evs []SudoEvent, gap string) {
	var fresh []SudoEvent
	for _, e := range evs {
		if !s.sudoSeenNear(e) {
			fresh = append(fresh, e)
		}
	}
	s.noteSudoSeen(fresh)
	var dropped bool
	s.SudoUses, dropped = addSudoUses(s.SudoUses, sudoUses(fresh))
	if dropped {
		gap = strings.TrimPrefix(gap+"; ", "; ") + fmt.Sprintf("more than %d distinct sudo commands: the rest not kept", maxSudoUses)
	}
	if gap != "" {
		s.sudoGaps = union(s.sudoGaps, []string{gap})
	}
}

// sudoKey names an event for deduplication across logs.
func sudoKey(e SudoEvent) string {
	return e.User + "\x00" + e.RunAs + "\x00" + e.Command + "\x00" + e.Problem
}

// noteSudoSeen remembers events (to the second) so that another log's
// copy of them is recognised.
func (s *Signals) noteSudoSeen(evs []SudoEvent) {
	if s.sudoSeen == nil {
		s.sudoSeen = map[string][]int64{}
	}
	for _, e := range evs {
		if s.sudoSeenN >= maxSudoEvents {
			return
		}
		k := sudoKey(e)
		s.sudoSeen[k] = append(s.sudoSeen[k], e.Time.Unix())
		s.sudoSeenN++
	}
}

// sudoSeenNear reports whether the same event was seen at the same
// moment (sameMoment: a syslog time read in another zone included).
func (s *Signals) sudoSeenNear(e SudoEvent) bool {
	for _, sec := range s.sudoSeen[sudoKey(e)] {
		if sameMoment(time.Unix(sec, 0), e.Time.Truncate(time.Second)) {
			return true
		}
	}
	return false
}

// addJournalSudo parses sudo's journal messages and records the sudo-log
// source as read from the journal when the journal was read.
func (s *Signals) addJournalSudo(jl *journalLogs) {
	var evs []SudoEvent
	for _, m := range jl.sudo {
		if e, ok := ParseSudoMessage(m.Message); ok {
			e.Time, e.File = m.Time, m.File
			evs = append(evs, e)
		}
	}
	gap := ""
	if jl.src.Status == SourcePartial {
		gap = "journal: " + jl.src.Detail
	}
	s.addSudoEvents(evs, gap)
	if jl.src.Status != SourceMissing {
		s.AddSource(Source{Name: "sudo-log", Status: jl.src.Status, Paths: jl.src.Paths, Detail: jl.src.Detail})
	}
}

// splitCommands reads an effect's command list ("ALL", or sudoers
// commands separated by ", "); nil means every command.
func splitCommands(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" || v == "ALL" {
		return nil
	}
	var out []string
	for _, c := range strings.Split(v, ", ") {
		if c = strings.TrimSpace(c); c == "ALL" {
			return nil
		} else if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// commandCovered reports whether a command line (as sudo logs it, or as a
// script calls sudo) is one a grant's commands allow: the same program
// (by base name, as scripts often rely on PATH) and, when the grant lists
// arguments, the same arguments; a * in the grant matches anything from
// there on. nil grants cover everything.
func commandCovered(grant []string, cmd string) bool {
	if grant == nil {
		return true
	}
	prog, args, _ := strings.Cut(strings.TrimSpace(cmd), " ")
	for _, g := range grant {
		gp, gargs, hasArgs := strings.Cut(sudoersUnescape.Replace(strings.TrimSpace(g)), " ")
		if path.Base(gp) != path.Base(prog) && !(strings.ContainsAny(gp, "*?[") && globPrefix(gp, prog)) {
			continue
		}
		gargs = strings.TrimSpace(gargs)
		switch {
		case !hasArgs:
			return true
		case gargs == `""`:
			if strings.TrimSpace(args) == "" {
				return true
			}
		case strings.ContainsAny(gargs, "*?["):
			if globPrefix(gargs, strings.TrimSpace(args)) {
				return true
			}
		case gargs == strings.TrimSpace(args):
			return true
		}
	}
	return false
}

// sudoersUnescape undoes the backslashes sudoers needs before , : = and
// \ in a command.
var sudoersUnescape = strings.NewReplacer(`\,`, ",", `\:`, ":", `\=`, "=", `\\`, `\`)

// globPrefix matches s against the part of pattern before its first
// wildcard: a generous reading, as a wildcard may match anything.
func globPrefix(pattern, s string) bool {
	i := strings.IndexAny(pattern, "*?[")
	return strings.HasPrefix(s, pattern[:i])
}

// expandGrant replaces Cmnd_Alias names in a grant's commands by the
// commands of the target's sudoers; a name sudoers does not define is
// kept (it then matches nothing).
func (s *Signals) expandGrant(grant []string) []string {
	alias := false
	for _, c := range grant {
		if c != "" && !strings.ContainsAny(c, "/ ") && strings.ToUpper(c) == c {
			alias = true
		}
	}
	if !alias || s.t == nil {
		return grant
	}
	s.sudoersOnce.Do(func() {
		s.sudoersPolicy, _ = sudoers.Collect(context.Background(), s.t)
	})
	if s.sudoersPolicy == nil {
		return grant
	}
	out := expandCmnds(s.sudoersPolicy, grant, 0)
	if len(out) == 1 && out[0] == "ALL" {
		return nil
	}
	return out
}

// sudoUsesOf returns the commands user ran through sudo that grant
// covers.
func (s *Signals) sudoUsesOf(user string, grant []string) []SudoUse {
	var out []SudoUse
	for _, u := range s.SudoUses {
		if u.User == user && u.Problem == "" && commandCovered(grant, u.Command) {
			out = append(out, u)
		}
	}
	return out
}

// sudoRequirePassword rates requiring a password where a NOPASSWD grant
// (or !authenticate) let user run cmds without one: automation that uses
// it breaks (sudo -n fails, a plain sudo asks on no terminal), people are
// asked for their password.
func (s *Signals) sudoRequirePassword(user, cmds string) (string, []string) {
	if user == "" || user == "root" {
		return remedy.ImpactNone, []string{"root is never asked for a password by sudo"}
	}
	grant := s.expandGrant(splitCommands(cmds))
	v := newTally(remedy.ImpactNone, nil)
	var noTTY, tty []SudoUse
	for _, u := range s.sudoUsesOf(user, grant) {
		if u.NoTTY > 0 {
			noTTY = append(noTTY, u)
		} else {
			tty = append(tty, u)
		}
	}
	if len(noTTY) > 0 {
		v.raise(remedy.ImpactObserved, fmt.Sprintf("%s used sudo without a terminal, where no password can be typed, in %s: %s", user, s.windowText(), list(sudoUseText(noTTY))))
	}
	if len(tty) > 0 {
		v.raise(remedy.ImpactPossible, fmt.Sprintf("%s used sudo on a terminal in %s and will be asked for a password (a usable one is needed): %s", user, s.windowText(), list(sudoUseText(tty))))
	}
	active, inactive := s.automationFor(func(a Automation) bool {
		return a.Tool == "sudo" && a.RunsAs == user && commandCovered(grant, a.Command)
	})
	if len(active) > 0 {
		v.raise(remedy.ImpactObserved, fmt.Sprintf("automation runs sudo as %s and cannot type a password: %s", user, list(automationText(active))))
	}
	if len(inactive) > 0 {
		v.raise(remedy.ImpactPossible, fmt.Sprintf("automation that is not enabled runs sudo as %s: %s", user, list(automationText(inactive))))
	}
	if v.level() != remedy.ImpactNone {
		return v.result()
	}
	what := "sudo use by " + user
	if grant != nil {
		what += " of " + list(grant)
	}
	src := s.sourceStatus("sudo-log")
	switch src.Status {
	case SourceRead:
		return remedy.ImpactNone, []string{fmt.Sprintf("no %s in %s covering %s, and no cron job or unit runs sudo as %s", what, list(src.Paths), s.windowText(), user)}
	case SourcePartial:
		return remedy.ImpactPossible, []string{fmt.Sprintf("%s not ruled out: sudo's log lines were not read completely (%s); no cron job or unit runs sudo as %s", what, src.Detail, user)}
	}
	return remedy.ImpactUnknown, []string{fmt.Sprintf("%s not checked: no sudo log lines were read (%s); no cron job or unit runs sudo as %s", what, src.Detail, user)}
}

// sudoPolicy rates dropping "Defaults !authenticate" (effect subject
// "sudo no_authenticate") by every user sudo let in without a password.
// Removing NOPASSWD tags is rated per user (EffectSudoPassword).
func (s *Signals) sudoPolicy(e remedy.Effect) (string, []string) {
	if e.Subject != "sudo no_authenticate" {
		return remedy.ImpactNone, nil
	}
	grants, err := s.passwordlessGrants(true)
	if err != nil {
		return remedy.ImpactUnknown, []string{"sudoers not read: " + err.Error()}
	}
	v := newTally(remedy.ImpactNone, nil)
	for _, g := range grants {
		lvl, ev := s.sudoRequirePassword(g.user, g.cmds)
		v.raise(lvl, ev...)
	}
	if len(grants) == 0 {
		v.raise(remedy.ImpactNone, "no sudo grant names a user")
	}
	return v.result()
}

type sudoGrant struct{ user, cmds string }

// passwordlessGrants lists who may run what through sudo without a
// password: NOPASSWD specs (every spec when all is set, for
// Defaults !authenticate), users expanded through User_Alias and
// %groups.
func (s *Signals) passwordlessGrants(all bool) ([]sudoGrant, error) {
	if s.t == nil {
		return nil, fmt.Errorf("no target")
	}
	p, err := sudoers.Collect(context.Background(), s.t)
	if err != nil {
		return nil, err
	}
	db, err := accounts.Collect(context.Background(), s.t)
	if err != nil {
		return nil, err
	}
	var out []sudoGrant
	seen := map[sudoGrant]bool{}
	for _, sp := range p.Specs {
		if !all && !sp.HasTag("NOPASSWD") {
			continue
		}
		cmds := strings.Join(expandCmnds(p, sp.Commands, 0), ", ")
		for _, u := range expandSudoUsers(p, db, sp.Users, s, 0) {
			g := sudoGrant{u, cmds}
			if !seen[g] && len(out) < maxUsers {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	return out, nil
}

// expandSudoUsers turns a sudoers user list into account names: aliases,
// %group (members and primary group), #uid; ALL stands for every user
// seen using sudo or running automation.
func expandSudoUsers(p *sudoers.Policy, db *accounts.DB, users []string, s *Signals, depth int) []string {
	var out []string
	for _, u := range users {
		u = strings.TrimSpace(u)
		if strings.HasPrefix(u, "!") || depth > 8 {
			continue // negations only narrow the list
		}
		switch {
		case u == "ALL":
			for _, x := range s.SudoUses {
				out = union(out, []string{x.User})
			}
			for _, a := range s.Automation {
				if a.Tool == "sudo" {
					out = union(out, []string{a.RunsAs})
				}
			}
		case strings.HasPrefix(u, "%"):
			name := strings.TrimPrefix(strings.TrimPrefix(u, "%"), ":")
			for _, g := range db.Groups {
				if g.Name == name || "#"+fmt.Sprint(g.GID) == name {
					out = union(out, g.Members)
					for _, usr := range db.Users {
						if usr.GID == g.GID {
							out = union(out, []string{usr.Name})
						}
					}
				}
			}
		case strings.HasPrefix(u, "#"):
			for _, usr := range db.Users {
				if "#"+fmt.Sprint(usr.UID) == u {
					out = union(out, []string{usr.Name})
				}
			}
		default:
			if members, ok := p.Aliases[u]; ok {
				out = union(out, expandSudoUsers(p, db, members, s, depth+1))
			} else {
				out = union(out, []string{u})
			}
		}
	}
	return out
}

// expandCmnds replaces Cmnd_Alias names by their commands; negated
// commands are dropped (they only narrow the grant).
func expandCmnds(p *sudoers.Policy, cmds []string, depth int) []string {
	var out []string
	for _, c := range cmds {
		c = strings.TrimSpace(c)
		if strings.HasPrefix(c, "!") || depth > 8 {
			continue
		}
		if members, ok := p.Aliases[c]; ok {
			out = append(out, expandCmnds(p, members, depth+1)...)
			continue
		}
		if c == "ALL" {
			return []string{"ALL"}
		}
		out = append(out, c)
	}
	return out
}
