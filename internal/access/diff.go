package access

import "fmt"

// Loss is one way in or up that worked before a change and does not after.
type Loss struct {
	User string `json:"user"`
	Way  string `json:"way"`
	// Kind is the way's kind ("" for a removed account).
	Kind string `json:"kind,omitempty"`
	// Reason says why it no longer works, as of the model's time.
	Reason string `json:"reason"`
	// Unknown is set when cradle cannot tell whether it still works
	// (the change brought in something it does not model).
	Unknown bool `json:"unknown,omitempty"`
	// grant is the lost sudo grant, to see whether a broader one covers it.
	grant *Grant
	// password is set when the grant still works, with a password.
	password bool
}

func (l Loss) String() string { return l.User + ": " + l.Way + ": " + l.Reason }

// Diff lists every way that works in before and not in after, in the
// order of before's accounts and ways: a removed account, a way that is
// refused or unknown now, a sudo grant that is gone, and a sudo grant
// that needed no password and now needs one ("sudo -n" stops working).
func Diff(before, after *Model) []Loss {
	if before == nil || after == nil {
		return nil
	}
	var out []Loss
	for _, a := range before.Accounts {
		working := 0
		for _, w := range a.Ways {
			if w.Status == Works {
				working++
			}
		}
		if working == 0 {
			continue
		}
		na := after.Account(a.Name)
		if na == nil {
			out = append(out, Loss{User: a.Name, Way: "every way in", Reason: "the account no longer exists"})
			continue
		}
		now := map[string]Way{}
		for _, w := range na.Ways {
			now[w.Name] = w
		}
		for _, w := range a.Ways {
			if w.Status != Works {
				continue
			}
			nw, ok := now[w.Name]
			n := len(out)
			switch {
			case isSSH(w.Kind) && !before.SSHDMissing && after.SSHDMissing:
				out = append(out, Loss{User: a.Name, Way: w.Name, Reason: "sshd is no longer installed"})
			case w.Kind == KindSudo && !before.SudoMissing && after.SudoMissing:
				out = append(out, Loss{User: a.Name, Way: w.Name, Reason: "sudo is no longer installed"})
			case !ok && w.Kind == KindSudo:
				out = append(out, Loss{User: a.Name, Way: w.Name, Reason: "no sudoers rule grants it any more"})
			case !ok:
				out = append(out, Loss{User: a.Name, Way: w.Name, Reason: "no longer offered"})
			case nw.Status == Refused:
				out = append(out, Loss{User: a.Name, Way: w.Name, Reason: nw.Reason})
			case nw.Status == Unknown:
				out = append(out, Loss{User: a.Name, Way: w.Name, Reason: "cannot tell any more: " + nw.Reason, Unknown: true})
			case w.NoPassword && !nw.NoPassword:
				out = append(out, Loss{User: a.Name, Way: "sudo -n " + w.Name[len("sudo "):], Reason: "now needs a password", password: true})
			}
			if len(out) > n {
				out[n].Kind = w.Kind
				if w.Kind == KindSudo {
					out[n].grant = a.grantOf(w)
				}
			}
		}
	}
	return out
}

// Lockouts keeps the losses that lock an account out of something it
// could do: every sudo grant lost (one that now asks for the password the
// account has only narrows it: scripts calling sudo -n are the
// preflight's evidence to weigh); a login way
// lost when the account (with the accounts sharing its uid) has no
// working SSH way left (for an SSH way) or
// no working way in at all (for a console login) — except root's SSH
// logins while another account still logs in over SSH and may run any
// command as root through sudo —; a removed account; and
// every loss cradle cannot judge. The other losses only narrow how an
// account gets in (password logins off while its key still works).
func Lockouts(after *Model, losses []Loss) []Loss {
	var out []Loss
	for _, l := range losses {
		if l.Kind == KindSudo && !l.Unknown && (l.password || after.coveredSudo(l)) {
			continue
		}
		if l.Kind == "" || l.Kind == KindSudo || l.Unknown {
			out = append(out, l)
			continue
		}
		left := false
		for _, w := range after.workingAs(l.User) {
			if isSSH(w.Kind) && after.SSHDMissing {
				continue
			}
			switch {
			case w.Kind == KindSudo:
			case isSSH(l.Kind):
				left = left || isSSH(w.Kind)
			default:
				left = true
			}
		}
		if !left && isSSH(l.Kind) && after.isRoot(l.User) && after.rootBySSH() {
			left = true // administrators log in as themselves and use sudo
		}
		if !left {
			out = append(out, l)
		}
	}
	return out
}

// workingAs lists the working ways of user and of every other account
// with its uid: they are the same identity to the system (toor and root).
func (m *Model) workingAs(user string) []Way {
	a := m.Account(user)
	if a == nil {
		return nil
	}
	var out []Way
	for _, o := range m.Accounts {
		if o.UID == a.UID {
			out = append(out, m.Working(o.Name)...)
		}
	}
	return out
}

// grantOf is the grant behind a sudo way of a.
func (a *Account) grantOf(w Way) *Grant {
	for i := range a.Sudo {
		if a.Sudo[i].wayName() == w.Name {
			return &a.Sudo[i]
		}
	}
	return nil
}

// coveredSudo reports whether a lost sudo grant is still given by a
// working grant of every command as a covering run-as list, without a
// password where the lost one needed none.
func (m *Model) coveredSudo(l Loss) bool {
	a := m.Account(l.User)
	if a == nil || l.grant == nil || m.SudoMissing {
		return false
	}
	for _, g := range a.Sudo {
		if g.Command == "ALL" && covers(g.RunAs, l.grant.RunAs) && (g.NoPassword || !l.grant.NoPassword) && m.grantWorks(*a, g) {
			return true
		}
	}
	return false
}

func (m *Model) isRoot(user string) bool {
	a := m.Account(user)
	return a != nil && a.UID == 0
}

// rootBySSH reports whether an account other than root logs in over SSH
// and may run every command as root through sudo.
func (m *Model) rootBySSH() bool {
	if m.SudoMissing {
		return false
	}
	for _, a := range m.Accounts {
		if a.UID == 0 {
			continue
		}
		ssh, sudo := false, false
		for _, w := range a.Ways {
			if w.Status != Works {
				continue
			}
			ssh = ssh || isSSH(w.Kind)
		}
		for _, g := range a.Sudo {
			sudo = sudo || (g.Command == "ALL" && covers(g.RunAs, "root") && m.grantWorks(a, g))
		}
		if ssh && sudo {
			return true
		}
	}
	return false
}

func (m *Model) grantWorks(a Account, g Grant) bool {
	for _, w := range a.Ways {
		if w.Kind == KindSudo && w.Name == g.wayName() {
			return w.Status == Works
		}
	}
	return false
}

func isSSH(kind string) bool {
	return kind == KindSSHKey || kind == KindSSHPassword || kind == KindSSHMulti
}

// Summary renders losses one per line, for reasons and logs.
func Summary(losses []Loss) []string {
	out := make([]string, len(losses))
	for i, l := range losses {
		out[i] = l.String()
	}
	return out
}

// String renders an account's working ways, for notes.
func (a *Account) String() string {
	n := 0
	for _, w := range a.Ways {
		if w.Status == Works {
			n++
		}
	}
	return fmt.Sprintf("%s (uid %d): %d working way(s)", a.Name, a.UID, n)
}
