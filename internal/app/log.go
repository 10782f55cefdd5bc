package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/target"
)

// LogShow reads the target's change log (no entries when there is none).
// A log that does not verify is shown with a warning: hiding it would
// lose the evidence, showing it silently would lend it credibility.
func (a *App) LogShow(_ context.Context, s target.Spec) (*changelog.Listing, error) {
	l, h, err := a.changeLog(s)
	if err != nil {
		return nil, err
	}
	out := changelog.NewListing(l.Target, l.Path(), nil)
	fh, err := os.Open(l.Path())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return out, nil
	case err != nil:
		return nil, Input(err)
	}
	defer fh.Close()
	entries, err := changelog.Entries(fh)
	if err != nil {
		return nil, Findingsf("change log %s: %v (run \"cradle log verify\")", l.Path(), err)
	}
	out = changelog.NewListing(l.Target, l.Path(), entries)
	if keys, kerr := trustedKeys(h, nil); kerr == nil {
		var p *changelog.Problem
		if _, verr := l.Verify(keys); errors.As(verr, &p) {
			a.warn(fmt.Errorf("the change log is not intact: %s (see \"cradle log verify\")", p.Error()))
		}
	}
	return out, nil
}

// LogVerifyInput selects the log and the keys trusted to have signed it
// (none: the public keys in the state directory).
type LogVerifyInput struct {
	Target  target.Spec
	PubKeys []string
}

// LogVerify checks the whole log: Findings when it is not intact, Usage
// when there is none or it cannot be read. Warnings go to App.Warn.
func (a *App) LogVerify(_ context.Context, in LogVerifyInput) (*changelog.Summary, error) {
	l, h, err := a.changeLog(in.Target)
	if err != nil {
		return nil, err
	}
	keys, err := trustedKeys(h, in.PubKeys)
	if err != nil {
		return nil, err
	}
	s, err := l.Verify(keys)
	var p *changelog.Problem
	switch {
	case errors.As(err, &p):
		return nil, Findingsf("change log of %s (%s) is not intact: %s", l.Target, l.Path(), p.Error())
	case err != nil:
		return nil, Input(err)
	}
	for _, w := range s.Warnings {
		a.warn(errors.New(w))
	}
	return &s, nil
}

// LogAppendInput is a change made outside cradle.
type LogAppendInput struct {
	Target target.Spec
	Action string
	Rules  []string
	// RuleFiles are the organisation's rule files that define Rules
	// beyond the built-in ones (--rules).
	RuleFiles []string
	Change    Change
	// Paths are files changed by hand: the entry records each one's
	// current state in After, so fim check attributes the change to it.
	Paths []string
}

// LogAppendOutput says where the entry went.
type LogAppendOutput struct {
	Target string
	Seq    uint64
	KeyID  string
}

// LogAppend records a change made by hand (or by another tool).
func (a *App) LogAppend(ctx context.Context, in LogAppendInput) (*LogAppendOutput, error) {
	if !changelog.ValidAction(in.Action) {
		return nil, Usagef("unknown action %q (known: %s)", in.Action, strings.Join(changelog.Actions, ", "))
	}
	if changelog.Reserved(in.Action) {
		return nil, Usagef("action %q is recorded by cradle itself (cradle key rotate, cradle log repair, cradle case)", in.Action)
	}
	if strings.TrimSpace(in.Change.Reason) == "" {
		return nil, Usagef("a reason is required: say why the change was made")
	}
	// A misspelt rule would stay in the signed log for good.
	if len(in.Rules) > 0 {
		eng, err := a.catalogWith(in.RuleFiles)
		if err != nil {
			return nil, err
		}
		for _, id := range in.Rules {
			if msg := eng.Rules.UnknownID(id); msg != "" {
				return nil, Usagef("--rule: %s", msg)
			}
		}
	}
	after, err := a.pathStates(ctx, in.Target, in.Paths)
	if err != nil {
		return nil, err
	}
	l, _, err := a.openChangeLog(in.Target, in.Change.Key)
	if err != nil {
		return nil, err
	}
	e, err := l.Append(ctx, changelog.Entry{
		Action: in.Action, Rules: in.Rules, ChangeRef: in.Change.ChangeRef, Reason: in.Change.Reason,
		Actor: changelog.Actor{Actor: in.Change.Actor}, After: after,
	})
	if err != nil {
		return nil, appendErr(err)
	}
	return &LogAppendOutput{Target: l.Target, Seq: e.Seq, KeyID: e.KeyID}, nil
}

// ActionManual is the action of a change recorded by hand; Actions lists
// every action a log entry may name.
const ActionManual = changelog.ActionManual

// Actions lists the known change-log actions.
var Actions = changelog.Actions
