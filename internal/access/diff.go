package access

import "fmt"

// Loss is one way in or up that worked before a change and does not after.
type Loss struct {
	User string `json:"user"`
	Way  string `json:"way"`
	// Reason says why it no longer works, as of the model's time.
	Reason string `json:"reason"`
	// Unknown is set when cradle cannot tell whether it still works
	// (the change brought in something it does not model).
	Unknown bool `json:"unknown,omitempty"`
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
			switch {
			case !ok && w.Kind == KindSudo:
				out = append(out, Loss{User: a.Name, Way: w.Name, Reason: "no sudoers rule grants it any more"})
			case !ok:
				out = append(out, Loss{User: a.Name, Way: w.Name, Reason: "no longer offered"})
			case nw.Status == Refused:
				out = append(out, Loss{User: a.Name, Way: w.Name, Reason: nw.Reason})
			case nw.Status == Unknown:
				out = append(out, Loss{User: a.Name, Way: w.Name, Reason: "cannot tell any more: " + nw.Reason, Unknown: true})
			case w.NoPassword && !nw.NoPassword:
				out = append(out, Loss{User: a.Name, Way: "sudo -n " + w.Name[len("sudo "):], Reason: "now needs a password"})
			}
		}
	}
	return out
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
