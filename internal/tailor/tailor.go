// Package tailor holds the data that adapts a baseline to one system
// without editing rule files: tailoring (select and unselect rules,
// override parameters) and waivers (accepted failures with justification,
// owner, scope and expiry).
package tailor

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/rules"
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
	// lines maps each rule reference to its line in Source (see
	// tailoringLines); a Tailoring built in code has none.
	lines map[string]int
}

// Validate checks every rule reference against the baseline: a rule id
// that is no rule, a glob that matches none or a parameter the rule does
// not have is an error at its file:line with the closest match, because a
// typo silently ignored leaves a rule selected, run or fixed that the
// author meant otherwise.
func (t *Tailoring) Validate(set *rules.Set) error {
	if t == nil {
		return nil
	}
	var errs rules.Errors
	at := func(msg string, parts ...string) {
		errs = append(errs, &rules.Error{File: t.Source, Line: t.lines[strings.Join(parts, "\x00")], Msg: msg})
	}
	for _, l := range []struct {
		key      string
		patterns []string
	}{{"select", t.Select}, {"unselect", t.Unselect}, {"accept_unknown", t.AcceptUnknown}} {
		for _, p := range l.patterns {
			if msg := set.Unmatched(p); msg != "" {
				at(l.key+": "+msg, l.key, p)
			}
		}
	}
	for _, rid := range slices.Sorted(maps.Keys(t.Params)) {
		r, ok := set.Lookup(rid)
		if !ok {
			at("params: "+set.Unmatched(rid), "params", rid)
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(t.Params[rid])) {
			if _, ok := r.Params[k]; ok {
				continue
			}
			msg := fmt.Sprintf("params: unknown parameter %q of rule %s", k, rid)
			if s := rules.Closest(k, slices.Collect(maps.Keys(r.Params))); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			} else if len(r.Params) == 0 {
				msg += " (it takes none)"
			}
			at(msg, "params", rid, k)
		}
	}
	return located(errs)
}

// located returns errs ordered by line, or nil when there are none.
func located(errs rules.Errors) error {
	if len(errs) == 0 {
		return nil
	}
	slices.SortStableFunc(errs, func(a, b *rules.Error) int { return a.Line - b.Line })
	return errs
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
	// file and line locate the rule reference for Validate.
	file string
	line int
}

// Waivers is a parsed waiver file.
type Waivers struct {
	List []Waiver
}

// Validate refuses waivers whose rule id is no rule of the baseline or
// whose glob matches none, at their file:line with the closest match: a
// misspelt waiver would otherwise waive nothing and say nothing.
func (w *Waivers) Validate(set *rules.Set) error {
	if w == nil {
		return nil
	}
	var errs rules.Errors
	for _, wv := range w.List {
		if msg := set.Unmatched(wv.Rule); msg != "" {
			e := &rules.Error{File: wv.file, Line: wv.line, Msg: "waiver: " + msg}
			if e.File == "" {
				e.File = wv.Source
			}
			errs = append(errs, e)
		}
	}
	return located(errs)
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
