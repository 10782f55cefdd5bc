package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cradle-cra/cradle/internal/casestore"
	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/signing"
)

// caseLogTarget names the change log of a case store: "cases" for the
// default store, "cases:" and the absolute path for another.
func (a *App) caseLogTarget(store string) (string, error) {
	if store == "" {
		return "cases", nil
	}
	abs, err := filepath.Abs(store)
	if err != nil {
		return "", Input(err)
	}
	h, err := a.Home()
	if err == nil && abs == h.Cases() {
		return "cases", nil
	}
	return "cases:" + abs, nil
}

// caseLog opens the store's change log for appending.
func (a *App) caseLog(store string) (*changelog.Log, error) {
	t, err := a.caseLogTarget(store)
	if err != nil {
		return nil, err
	}
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	if err := h.Ensure(); err != nil {
		return nil, Input(err)
	}
	l := &changelog.Log{Dir: h.Logs(), Target: t, Now: a.Now}
	if l.Signer, err = a.signer(h, ""); err != nil {
		return nil, err
	}
	if l.Keys, err = signing.LoadKeyring(h.Keys()); err != nil {
		return nil, Input(err)
	}
	return l, nil
}

// caseEvent is what the change log records of a case event: the event as
// stored and the digest of the case after it.
type caseEvent struct {
	Case    string          `json:"case"`
	Event   int             `json:"event"`
	Action  string          `json:"case_action"`
	Changes json.RawMessage `json:"changes"`
}

// recordCases makes every change of s append a signed entry to the
// store's change log inside the change's transaction: when the entry
// cannot be written, the change is rolled back.
func (a *App) recordCases(ctx context.Context, s *casestore.Store, store string) error {
	l, err := a.caseLog(store)
	if err != nil {
		return err
	}
	s.OnEvent = func(e casestore.Event, c *casestore.Case) error {
		d, err := json.Marshal(caseEvent{Case: e.Case, Event: e.Seq, Action: e.Action, Changes: e.Changes})
		if err != nil {
			return err
		}
		entry := changelog.Entry{Action: changelog.ActionCase, Reason: e.Note, Details: d,
			After: map[string]string{"case:" + c.ID: casestore.Digest(c)}}
		entry.Actor.Actor = e.Actor
		if _, err := l.Append(ctx, entry); err != nil {
			return appendErr(fmt.Errorf("record %s event %d in the change log: %w", e.Case, e.Seq, err))
		}
		return nil
	}
	return nil
}

// CaseVerifyOutput is what cradle case verify found.
type CaseVerifyOutput struct {
	Log     string `json:"log"`
	Entries int    `json:"entries"`
	Cases   int    `json:"cases"`
	Events  int    `json:"events"`
}

// CaseVerify checks the store's change log (hashes, signatures, chain,
// head) and that the store matches it: every event of every case is in
// the log and each case's content is the one the log recorded last.
// Findings when anything differs.
func (a *App) CaseVerify(ctx context.Context, store string, pubkeys []string) (*CaseVerifyOutput, error) {
	t, err := a.caseLogTarget(store)
	if err != nil {
		return nil, err
	}
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	keys, err := trustedKeys(h, pubkeys)
	if err != nil {
		return nil, err
	}
	l := &changelog.Log{Dir: h.Logs(), Target: t}
	sum, err := l.Verify(keys)
	var p *changelog.Problem
	switch {
	case errors.As(err, &p):
		return nil, Findingsf("change log of the cases (%s) is not intact: %s", l.Path(), p.Error())
	case errors.Is(err, changelog.ErrNoLog):
		sum = changelog.Summary{} // no case changed yet: the store must be empty
	case err != nil:
		return nil, Input(err)
	}
	logged := map[string]int{}    // case -> last event logged
	digest := map[string]string{} // case -> digest after its last logged event
	if f, err := os.Open(l.Path()); err == nil {
		entries, err := changelog.Entries(f)
		f.Close()
		if err != nil {
			return nil, Input(err)
		}
		for _, e := range entries {
			if e.Action != changelog.ActionCase {
				continue
			}
			var ce caseEvent
			if err := json.Unmarshal(e.Details, &ce); err != nil {
				return nil, Findingsf("change log entry %d: unreadable case details: %v", e.Seq, err)
			}
			if ce.Event != logged[ce.Case]+1 {
				return nil, Findingsf("change log entry %d: %s event %d follows event %d", e.Seq, ce.Case, ce.Event, logged[ce.Case])
			}
			logged[ce.Case], digest[ce.Case] = ce.Event, e.After["case:"+ce.Case]
		}
	}
	s, err := a.openCases(ctx, store)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	cs, err := s.List(ctx, false)
	if err != nil {
		return nil, err
	}
	out := &CaseVerifyOutput{Log: l.Path(), Entries: sum.Entries, Cases: len(cs)}
	for _, c := range cs {
		evs, err := s.Events(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		out.Events += len(evs)
		switch {
		case len(evs) != logged[c.ID]:
			return nil, Findingsf("%s: the store has %d events, the change log %d: the store was changed outside cradle", c.ID, len(evs), logged[c.ID])
		case casestore.Digest(c) != digest[c.ID]:
			return nil, Findingsf("%s: the stored case differs from the one the change log recorded last: the store was edited", c.ID)
		}
		delete(logged, c.ID)
	}
	for id := range logged {
		return nil, Findingsf("%s is in the change log but not in the store: it was deleted", id)
	}
	return out, nil
}
