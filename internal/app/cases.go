package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/casestore"
	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/psirt"
	"github.com/cradle-cra/cradle/internal/reporting"
)

// CaseFields are the case fields a command may set; nil leaves a field
// as it is. Times are RFC 3339 ("2026-12-03T12:00:00Z") or "now".
type CaseFields struct {
	Title, Description, Mitigation, UserActions *string
	Product, Reporter, Channel                  *string
	Versions, Components, Aliases               []string
	CVSS3, CVSS4                                *string
	Exploited, Incident                         *bool
	Received, Aware, Mitigated                  *string
	Status                                      *string
	// FixedVersions are the product versions that fix it.
	FixedVersions []string
	// Resolution says how a closed case ended (Resolutions).
	Resolution *string
	// Reports are "STAGE[/KIND]=TIME[,REFERENCE]" or "STAGE[/KIND]=covered".
	Reports []string
}

// Resolutions are how a case may end: fixed, not affected (the
// advisory's VEX says known_not_affected with the reason as its impact
// statement), a duplicate, rejected (not a vulnerability), or no fix
// planned.
var Resolutions = []string{"fixed", "not_affected", "duplicate", "rejected", "wont_fix"}

// CaseClose closes a case with the reason, kept as the event's note.
func (a *App) CaseClose(ctx context.Context, id, resolution string, in CaseInput) (*psirt.List, error) {
	if strings.TrimSpace(in.Note) == "" {
		return nil, Usagef("--reason is required: say why the case is closed")
	}
	closed := string(casestore.Closed)
	in.Fields.Status = &closed
	if resolution != "" {
		in.Fields.Resolution = &resolution
	}
	return a.CaseUpdate(ctx, id, in)
}

// CaseInput names the store and who acts.
type CaseInput struct {
	Store  string // default $CRADLE_HOME/cases/cases.db
	Actor  string // default the OS user
	Note   string
	Fields CaseFields
}

func (a *App) openCases(ctx context.Context, path string) (*casestore.Store, error) {
	if path == "" {
		h, err := a.Home()
		if err != nil {
			return nil, err
		}
		path = h.Cases()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, Input(err)
	}
	s, err := casestore.Open(ctx, path)
	if err != nil {
		return nil, Input(err)
	}
	return s, nil
}

func (a *App) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func actorOr(s string) string {
	if s != "" {
		return s
	}
	return changelog.CurrentUser().Name
}

// CaseNew records a new case.
func (a *App) CaseNew(ctx context.Context, in CaseInput) (*psirt.List, error) {
	if in.Fields.Title == nil || strings.TrimSpace(*in.Fields.Title) == "" {
		return nil, Usagef("--title is required: one line naming the vulnerability or incident")
	}
	var c casestore.Case
	if err := a.applyFields(&c, in.Fields, true); err != nil {
		return nil, err
	}
	s, err := a.openCases(ctx, in.Store)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	s.SetClock(a.now)
	if err := a.recordCases(ctx, s, in.Store); err != nil {
		return nil, err
	}
	if _, err := psirt.Build(&c, a.now(), psirt.DefaultPolicy()); err != nil {
		return nil, Usagef("%v", err)
	}
	if err := s.Create(ctx, &c, actorOr(in.Actor), in.Note); err != nil {
		return nil, err
	}
	return a.caseDoc(ctx, s, []*casestore.Case{&c}, false)
}

// CaseUpdate changes a case's fields or status; the workflow refuses
// moves it does not allow.
func (a *App) CaseUpdate(ctx context.Context, id string, in CaseInput) (*psirt.List, error) {
	s, err := a.openCases(ctx, in.Store)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	s.SetClock(a.now)
	if err := a.recordCases(ctx, s, in.Store); err != nil {
		return nil, err
	}
	c, err := s.Update(ctx, id, actorOr(in.Actor), in.Note, func(c *casestore.Case) (string, error) {
		from := c.Status
		if err := a.applyFields(c, in.Fields, false); err != nil {
			return "", err
		}
		if _, err := psirt.Build(c, a.now(), psirt.DefaultPolicy()); err != nil {
			return "", Usagef("%v", err)
		}
		switch {
		case c.Status != from && c.Status == casestore.Closed:
			return "close", nil
		case c.Status != from:
			return "status", nil
		case len(in.Fields.Reports) > 0:
			return "report", nil
		}
		return "update", nil
	})
	if errors.Is(err, casestore.ErrNotFound) {
		return nil, Usagef("%v", err)
	}
	if err != nil {
		return nil, err
	}
	return a.caseDoc(ctx, s, []*casestore.Case{c}, false)
}

// CaseList lists cases (open ones unless all).
func (a *App) CaseList(ctx context.Context, store string, all bool) (*psirt.List, error) {
	s, err := a.openCases(ctx, store)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	cs, err := s.List(ctx, !all)
	if err != nil {
		return nil, err
	}
	return a.caseDoc(ctx, s, cs, false)
}

// CaseShow shows one case with its clocks, drafts and history.
func (a *App) CaseShow(ctx context.Context, store, id string) (*psirt.List, error) {
	s, err := a.openCases(ctx, store)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	c, err := s.Get(ctx, id)
	if errors.Is(err, casestore.ErrNotFound) {
		return nil, Usagef("%v", err)
	}
	if err != nil {
		return nil, err
	}
	return a.caseDoc(ctx, s, []*casestore.Case{c}, true)
}

func (a *App) caseDoc(ctx context.Context, s *casestore.Store, cs []*casestore.Case, history bool) (*psirt.List, error) {
	now := a.now()
	var vs []*psirt.View
	for _, c := range cs {
		v, err := psirt.Build(c, now, psirt.DefaultPolicy())
		if err != nil {
			return nil, err
		}
		if history {
			if v.Events, err = s.Events(ctx, c.ID); err != nil {
				return nil, err
			}
		} else {
			v.Drafts = nil
		}
		vs = append(vs, v)
	}
	return psirt.NewList(now, vs), nil
}

func (a *App) parseTime(flag, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	if s == "now" {
		t := a.now().UTC()
		return &t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, Usagef("--%s %q: want RFC 3339 (2026-12-03T12:00:00Z or with an offset) or now", flag, s)
	}
	t = t.UTC()
	if t.After(a.now().Add(5 * time.Minute)) {
		return nil, Usagef("--%s %s is in the future", flag, s)
	}
	return &t, nil
}

func (a *App) applyFields(c *casestore.Case, f CaseFields, creating bool) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&c.Title, f.Title)
	set(&c.Description, f.Description)
	set(&c.Mitigation, f.Mitigation)
	set(&c.UserActions, f.UserActions)
	set(&c.Product, f.Product)
	set(&c.Reporter, f.Reporter)
	set(&c.Channel, f.Channel)
	set(&c.CVSS3, f.CVSS3)
	set(&c.CVSS4, f.CVSS4)
	if c.CVSS3 != "" && !strings.HasPrefix(c.CVSS3, "CVSS:3.") {
		return Usagef("--cvss3 %q: want a CVSS:3.0 or CVSS:3.1 vector", c.CVSS3)
	}
	if c.CVSS4 != "" && !strings.HasPrefix(c.CVSS4, "CVSS:4.0/") {
		return Usagef("--cvss4 %q: want a CVSS:4.0 vector", c.CVSS4)
	}
	if f.Versions != nil {
		c.Versions = f.Versions
	}
	if f.Components != nil {
		c.Components = f.Components
	}
	if f.Aliases != nil {
		c.Aliases = f.Aliases
	}
	if f.FixedVersions != nil {
		c.FixedVersions = f.FixedVersions
	}
	if f.Resolution != nil {
		r := strings.TrimSpace(*f.Resolution)
		if r != "" && !slices.Contains(Resolutions, r) {
			return Usagef("--resolution %q: want one of %s", r, strings.Join(Resolutions, ", "))
		}
		c.Resolution = r
	}
	if f.Exploited != nil {
		c.Exploited = *f.Exploited
	}
	if f.Incident != nil {
		c.Incident = *f.Incident
	}
	for _, t := range []struct {
		flag string
		v    *string
		dst  **time.Time
	}{{"aware", f.Aware, &c.Aware}, {"mitigated", f.Mitigated, &c.Mitigated}} {
		if t.v != nil {
			p, err := a.parseTime(t.flag, *t.v)
			if err != nil {
				return err
			}
			*t.dst = p
		}
	}
	if f.Received != nil {
		p, err := a.parseTime("received", *f.Received)
		if err != nil {
			return err
		}
		if p != nil {
			c.Received = *p
		}
	}
	if f.Status != nil {
		to := casestore.Status(*f.Status)
		if !creating && to != c.Status && !casestore.CanMove(c.Status, to) {
			return Usagef("a case cannot move from %s to %s", c.Status, to)
		}
		valid := false
		for _, s := range casestore.Statuses {
			valid = valid || s == to
		}
		if !valid {
			return Usagef("--status %q: want one of new, triage, confirmed, fixing, fixed, closed", *f.Status)
		}
		c.Status = to
	}
	for _, r := range f.Reports {
		rep, err := a.parseReport(r, c)
		if err != nil {
			return err
		}
		c.Reports = append(c.Reports, rep)
	}
	return nil
}

// parseReport reads "STAGE[/KIND]=TIME[,REFERENCE]" or "STAGE[/KIND]=covered".
func (a *App) parseReport(s string, c *casestore.Case) (casestore.Report, error) {
	lhs, rhs, ok := strings.Cut(s, "=")
	if !ok {
		return casestore.Report{}, Usagef("--report %q: want STAGE[/KIND]=TIME[,REFERENCE] or STAGE[/KIND]=covered", s)
	}
	stage, kind, _ := strings.Cut(lhs, "/")
	if kind == "" {
		switch {
		case c.Exploited && !c.Incident:
			kind = string(reporting.Vulnerability)
		case c.Incident && !c.Exploited:
			kind = string(reporting.Incident)
		default:
			return casestore.Report{}, Usagef("--report %q: say which report, %s/vulnerability or %s/incident", s, stage, stage)
		}
	}
	validStage := false
	for _, st := range reporting.Stages {
		validStage = validStage || string(st) == stage
	}
	if !validStage || (kind != string(reporting.Vulnerability) && kind != string(reporting.Incident)) {
		return casestore.Report{}, Usagef("--report %q: stage is early_warning, notification or final_report; kind vulnerability or incident", s)
	}
	if rhs == "covered" {
		return casestore.Report{Kind: kind, Stage: stage, Covered: true}, nil
	}
	when, ref, _ := strings.Cut(rhs, ",")
	t, err := a.parseTime("report", when)
	if err != nil || t == nil {
		return casestore.Report{}, Usagef("--report %q: %v", s, fmt.Sprint(err))
	}
	return casestore.Report{Kind: kind, Stage: stage, Submitted: *t, Reference: ref}, nil
}
