package impact

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// SudoEvent is one command sudo logged: run, or refused with the reason.
type SudoEvent struct {
	Time    time.Time `json:"time"`
	User    string    `json:"user"`            // who ran sudo
	RunAs   string    `json:"runas,omitempty"` // USER=
	TTY     string    `json:"tty,omitempty"`   // "unknown" when sudo had no terminal
	PWD     string    `json:"pwd,omitempty"`
	Command string    `json:"command"`
	// Problem is "" when the command ran, otherwise what sudo logged
	// before the fields: "a password is required" (sudo -n without a
	// NOPASSWD grant), "3 incorrect password attempts", "user NOT in
	// sudoers", "command not allowed".
	Problem string `json:"problem,omitempty"`
	File    string `json:"file,omitempty"`
}

// Ran reports whether sudo ran the command.
func (e SudoEvent) Ran() bool { return e.Problem == "" }

// Terminal reports whether sudo had a terminal to ask a password on: an
// event without one is automation (cron, a unit, a script over ssh).
func (e SudoEvent) Terminal() bool { return e.TTY != "" && e.TTY != "unknown" }

// Bounds on one sudo message: sudo itself truncates nothing, a hostile log
// may carry anything.
const (
	maxSudoName    = 256
	maxSudoCommand = 4096
)

// ParseSudoMessage parses the message sudo logs for a command, without the
// syslog header — the MESSAGE field of a journal entry whose
// SYSLOG_IDENTIFIER is sudo:
//
//	alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id
//	ops : a password is required ; TTY=unknown ; PWD=/ ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx
//
// COMMAND= is the last field and keeps its separators. Time and File are
// left for the caller.
func ParseSudoMessage(msg string) (SudoEvent, bool) {
	var e SudoEvent
	user, rest, ok := strings.Cut(strings.TrimLeft(msg, " \t"), " : ")
	if !ok || user == "" || len(user) > maxSudoName || strings.ContainsAny(user, " \t;=") {
		return e, false
	}
	var cmd string
	switch {
	case strings.HasPrefix(rest, "COMMAND="):
		cmd, rest = rest[len("COMMAND="):], ""
	default:
		i := strings.Index(rest, " ; COMMAND=")
		if i < 0 {
			return e, false
		}
		cmd, rest = rest[i+len(" ; COMMAND="):], rest[:i]
	}
	cmd = strings.TrimSpace(cmd)
	if cmd == "" || len(cmd) > maxSudoCommand {
		return e, false
	}
	e.User, e.Command = user, cmd
	var problem []string
	for _, f := range strings.Split(rest, " ; ") {
		k, v, ok := strings.Cut(f, "=")
		if !ok || !upperWord(k) {
			if f = strings.TrimSpace(f); f != "" && len(problem) < 4 {
				problem = append(problem, f)
			}
			continue
		}
		switch k {
		case "TTY":
			e.TTY = v
		case "PWD":
			e.PWD = v
		case "USER":
			e.RunAs = v
		}
	}
	if e.Problem = strings.Join(problem, "; "); len(e.Problem) > maxSudoName {
		e.Problem = e.Problem[:maxSudoName]
	}
	if len(e.TTY) > maxSudoName || len(e.RunAs) > maxSudoName || len(e.PWD) > maxSudoCommand {
		return SudoEvent{}, false
	}
	return e, true
}

// upperWord reports whether k looks like a sudo log key (TTY, PWD, USER,
// GROUP, ENV, TSID, CHROOT, ...).
func upperWord(k string) bool {
	if k == "" || len(k) > 16 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if (k[i] < 'A' || k[i] > 'Z') && k[i] != '_' {
			return false
		}
	}
	return true
}

// ParseSudoLine parses a syslog line of sudo ("... sudo[123]:    alice :
// TTY=... ; COMMAND=..."), with the timestamp rules of ParseAccepted.
func ParseSudoLine(line string, now time.Time) (SudoEvent, bool) {
	tm, prog, msg, ok := syslogMessage(line, now)
	if !ok || prog != "sudo" {
		return SudoEvent{}, false
	}
	e, ok := ParseSudoMessage(msg)
	e.Time = tm
	return e, ok
}

// syslogMessage splits "TIME host prog[pid]: message" into the time, the
// program name (without pid) and the message.
func syslogMessage(line string, now time.Time) (time.Time, string, string, bool) {
	tm, ok := lineTime([]byte(line), now)
	if !ok {
		return tm, "", "", false
	}
	rest := line[16:]
	if line[0] >= '0' && line[0] <= '9' {
		_, rest, _ = strings.Cut(line, " ")
	}
	f := strings.SplitN(strings.TrimLeft(rest, " "), " ", 3)
	if len(f) < 3 {
		return tm, "", "", false
	}
	prog := f[1]
	if i := strings.IndexAny(prog, "[:"); i >= 0 {
		prog = prog[:i]
	}
	return tm, prog, f[2], true
}

// SudoUse aggregates the sudo events of one user, target user and command.
type SudoUse struct {
	User    string    `json:"user"`
	RunAs   string    `json:"runas,omitempty"`
	Command string    `json:"command"`
	Problem string    `json:"problem,omitempty"`
	Count   int       `json:"count"`
	NoTTY   int       `json:"no_tty"` // of Count, without a terminal
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
	File    string    `json:"file,omitempty"` // where the last one was logged
}

const (
	maxSudoUses   = 4096
	maxSudoEvents = 200000
)

func (u SudoUse) key() string {
	return u.User + "\x00" + u.RunAs + "\x00" + u.Command + "\x00" + u.Problem
}

// addSudoUses folds uses (or events turned into uses) into s, keeping at
// most maxSudoUses distinct entries; it reports whether some were dropped.
func addSudoUses(have []SudoUse, add []SudoUse) ([]SudoUse, bool) {
	idx := make(map[string]int, len(have))
	for i, u := range have {
		idx[u.key()] = i
	}
	dropped := false
	for _, u := range add {
		i, ok := idx[u.key()]
		if !ok {
			if len(have) >= maxSudoUses {
				dropped = true
				continue
			}
			idx[u.key()] = len(have)
			have = append(have, u)
			continue
		}
		h := &have[i]
		h.Count += u.Count
		h.NoTTY += u.NoTTY
		if u.First.Before(h.First) {
			h.First = u.First
		}
		if u.Last.After(h.Last) {
			h.Last, h.File = u.Last, u.File
		}
	}
	sort.SliceStable(have, func(i, j int) bool { return have[i].Last.Before(have[j].Last) })
	return have, dropped
}

// sudoUses turns events into uses.
func sudoUses(evs []SudoEvent) []SudoUse {
	out := make([]SudoUse, 0, len(evs))
	for _, e := range evs {
		u := SudoUse{User: e.User, RunAs: e.RunAs, Command: e.Command, Problem: e.Problem, Count: 1, First: e.Time, Last: e.Time, File: e.File}
		if !e.Terminal() {
			u.NoTTY = 1
		}
		out = append(out, u)
	}
	return out
}

// String renders "alice ran /usr/bin/id as root 3 times (2 without a
// terminal), last 2024-01-18 07:45 UTC".
func (u SudoUse) String() string {
	verb := "ran"
	if u.Problem != "" {
		verb = "was refused (" + u.Problem + ")"
	}
	times := "once"
	if u.Count > 1 {
		times = fmt.Sprintf("%d times", u.Count)
	}
	tty := ""
	switch {
	case u.NoTTY == u.Count:
		tty = ", without a terminal"
	case u.NoTTY > 0:
		tty = fmt.Sprintf(" (%d without a terminal)", u.NoTTY)
	}
	runas := u.RunAs
	if runas == "" {
		runas = "root"
	}
	s := fmt.Sprintf("%s %s sudo %s as %s %s%s, last %s", u.User, verb, u.Command, runas, times, tty, u.Last.Format("2006-01-02 15:04 MST"))
	if u.File != "" {
		s += " (" + u.File + ")"
	}
	return s
}
