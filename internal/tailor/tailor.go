// Package tailor holds the data that adapts a baseline to one system
// without editing rule files: tailoring (select and unselect rules,
// override parameters) and waivers (accepted failures with justification,
// owner, scope and expiry).
package tailor

import (
	"path"
	"time"

	"github.com/cradle-cra/cradle/internal/result"
)

// Tailoring adjusts a profile.
type Tailoring struct {
	// Profile, when set, is the base profile the tailoring applies to.
	Profile  string
	Select   []string // rule ids or path.Match globs to add
	Unselect []string // rule ids or globs to drop
	Params   map[string]map[string]any
	// AcceptUnknown lists rules (ids or globs) whose fixes cradle fix
	// applies although their impact is unknown (accept_unknown).
	AcceptUnknown []string
	Source        string
}

// Selects reports whether the tailoring adds rule id.
func (t *Tailoring) Selects(id string) bool { return t != nil && matchAny(t.Select, id) }

// Unselects reports whether the tailoring drops rule id.
func (t *Tailoring) Unselects(id string) bool { return t != nil && matchAny(t.Unselect, id) }

// AcceptsUnknown reports whether the tailoring accepts unknown impact for
// the fix of rule id.
func (t *Tailoring) AcceptsUnknown(id string) bool {
	return t != nil && MatchAny(t.AcceptUnknown, id)
}

// MatchAny reports whether id is one of patterns (rule ids or path.Match
// globs).
func MatchAny(patterns []string, id string) bool { return matchAny(patterns, id) }

func matchAny(patterns []string, id string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, id); ok || p == id {
			return true
		}
	}
	return false
}

// Waiver accepts a rule's failure on matching targets until it expires.
type Waiver struct {
	Rule          string
	Justification string
	Owner         string
	// Scope lists target names or globs (hostnames, directories, image
	// files); empty means every target.
	Scope   []string
	Expires time.Time // first instant the waiver no longer holds; zero: never
	// ExpiresLabel is the expiry as the user wrote it.
	ExpiresLabel string
	// Run false (InSpec) means the rule is skipped rather than evaluated.
	Run    bool
	Source string // file:line
}

// Waivers is a parsed waiver file.
type Waivers struct {
	List []Waiver
}

// Lookup returns the waiver for rule on target, and whether a matching
// waiver exists but has expired (an expired waiver does not waive).
func (w *Waivers) Lookup(rule string, targetNames []string, now time.Time) (active *Waiver, expired *Waiver) {
	if w == nil {
		return nil, nil
	}
	for i := range w.List {
		wv := &w.List[i]
		if !matchAny([]string{wv.Rule}, rule) || !wv.inScope(targetNames) {
			continue
		}
		if !wv.Expires.IsZero() && !now.Before(wv.Expires) {
			expired = wv
			continue
		}
		return wv, nil
	}
	return nil, expired
}

func (wv *Waiver) inScope(names []string) bool {
	if len(wv.Scope) == 0 {
		return true
	}
	for _, n := range names {
		if matchAny(wv.Scope, n) {
			return true
		}
	}
	return false
}

// Result renders the waiver for a report.
func (wv *Waiver) Result() *result.Waiver {
	r := &result.Waiver{Justification: wv.Justification, Owner: wv.Owner, Source: wv.Source}
	if !wv.Expires.IsZero() {
		r.Expires = wv.ExpiresLabel
	}
	return r
}
