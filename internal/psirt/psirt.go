// Package psirt turns a stored vulnerability case into what a product
// security team acts on: the severity computed from its CVSS vectors, the
// remediation due date from the severity's service level (Annex I Part II
// (2): remediate without delay, relative to the risk), the Article 14
// clocks when the case is an actively exploited vulnerability or a severe
// incident, and drafts of each report's content from the case's fields.
package psirt

import (
	"fmt"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/casestore"
	"github.com/cradle-cra/cradle/internal/reporting"
	"github.com/cradle-cra/cradle/internal/vuln"
)

// Policy is the team's service levels and clock counting.
type Policy struct {
	// SLA is the time from receipt to an available remedy, per severity.
	SLA      map[string]time.Duration
	Rule     reporting.Rule
	Calendar reporting.Calendar
}

// DefaultPolicy: 7 days for critical, 30 for high, 90 for medium, 180 for
// low; an unrated case gets the high level until it is rated.
func DefaultPolicy() Policy {
	d := 24 * time.Hour
	return Policy{SLA: map[string]time.Duration{
		vuln.SeverityCritical: 7 * d, vuln.SeverityHigh: 30 * d, vuln.SeverityMedium: 90 * d,
		vuln.SeverityLow: 180 * d, vuln.SeverityUnknown: 30 * d,
	}, Rule: reporting.WallClock}
}

// Deadline is a remediation due date and where the case stands.
type Deadline struct {
	Due    time.Time `json:"due"`
	Status string    `json:"status"` // running, due_soon, overdue, met, late, closed
}

// Clock is one Article 14 report clock of one kind.
type Clock struct {
	Kind reporting.Kind `json:"kind"`
	reporting.Clock
}

// Draft is the drafted content of one report.
type Draft struct {
	Kind  reporting.Kind  `json:"kind"`
	Stage reporting.Stage `json:"stage"`
	Items []DraftItem     `json:"items"`
}

// DraftItem pairs a required item with the text drafted from the case;
// Missing marks items the case does not hold yet.
type DraftItem struct {
	reporting.Requirement
	Text    string `json:"text"`
	Missing bool   `json:"missing,omitempty"`
}

// View is a case with everything computed from it.
type View struct {
	*casestore.Case
	Severity    string            `json:"severity"`
	CVSS        *vuln.CVSS        `json:"cvss_score,omitempty"`
	Remediation *Deadline         `json:"remediation,omitempty"`
	Clocks      []Clock           `json:"clocks"`
	Drafts      []Draft           `json:"drafts,omitempty"`
	Events      []casestore.Event `json:"events,omitempty"`
}

// Rate computes the case's severity from its vectors (v4.0 preferred, as
// the newer standard, else v3.x); unknown without a vector.
func Rate(c *casestore.Case) (string, *vuln.CVSS, error) {
	for _, v := range []string{c.CVSS4, c.CVSS3} {
		if v == "" {
			continue
		}
		s, sev, err := vuln.ScoreVector(v)
		if err != nil {
			return "", nil, err
		}
		return sev, s, nil
	}
	return vuln.SeverityUnknown, nil, nil
}

// Build computes the view of c at now.
func Build(c *casestore.Case, now time.Time, p Policy) (*View, error) {
	sev, score, err := Rate(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.ID, err)
	}
	v := &View{Case: c, Severity: sev, CVSS: score, Clocks: []Clock{}}
	if sla, ok := p.SLA[sev]; ok {
		v.Remediation = deadline(c, sla, now)
	}
	for _, k := range kinds(c) {
		if c.Aware == nil {
			return nil, fmt.Errorf("%s: marked %s but no awareness time is recorded (--aware)", c.ID, k)
		}
		f := reporting.Facts{Kind: k, Aware: *c.Aware, Submitted: map[reporting.Stage]time.Time{}, Covered: map[reporting.Stage]bool{}}
		if c.Mitigated != nil {
			f.Mitigated = *c.Mitigated
		}
		for _, r := range c.Reports {
			if r.Kind != string(k) {
				continue
			}
			if r.Covered {
				f.Covered[reporting.Stage(r.Stage)] = true
			} else {
				f.Submitted[reporting.Stage(r.Stage)] = r.Submitted
			}
		}
		cs, err := reporting.Clocks(f, now, p.Rule, p.Calendar)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.ID, err)
		}
		for _, cl := range cs {
			v.Clocks = append(v.Clocks, Clock{Kind: k, Clock: cl})
		}
		for _, st := range reporting.Stages {
			v.Drafts = append(v.Drafts, draft(c, v, k, st))
		}
	}
	return v, nil
}

func kinds(c *casestore.Case) []reporting.Kind {
	var ks []reporting.Kind
	if c.Exploited {
		ks = append(ks, reporting.Vulnerability)
	}
	if c.Incident {
		ks = append(ks, reporting.Incident)
	}
	return ks
}

func deadline(c *casestore.Case, sla time.Duration, now time.Time) *Deadline {
	due := c.Received.Add(sla).UTC()
	d := &Deadline{Due: due}
	switch {
	case c.Mitigated != nil && c.Mitigated.After(due):
		d.Status = "late"
	case c.Mitigated != nil:
		d.Status = "met"
	case c.Status == casestore.Closed:
		d.Status = "closed" // closed without a remedy: not affected, duplicate, rejected
	case now.After(due):
		d.Status = "overdue"
	case due.Sub(now) <= sla/4:
		d.Status = "due_soon"
	default:
		d.Status = "running"
	}
	return d
}

// Next is the earliest open Article 14 clock (overdue first), or nil.
func (v *View) Next() *Clock {
	var best *Clock
	for i := range v.Clocks {
		c := &v.Clocks[i]
		switch c.Status {
		case reporting.Running, reporting.DueSoon, reporting.Overdue:
			if best == nil || c.Due.Before(*best.Due) {
				best = c
			}
		}
	}
	return best
}

func draft(c *casestore.Case, v *View, k reporting.Kind, st reporting.Stage) Draft {
	d := Draft{Kind: k, Stage: st}
	product := c.Product
	if product == "" {
		product = "(product not recorded)"
	}
	if len(c.Versions) > 0 {
		product += " " + strings.Join(c.Versions, ", ")
	}
	ids := c.Title
	if len(c.Aliases) > 0 {
		ids += " (" + strings.Join(c.Aliases, ", ") + ")"
	}
	sev := v.Severity
	if v.CVSS != nil {
		sev = fmt.Sprintf("%s, CVSS %s base score %.1f (%s)", v.Severity, v.CVSS.Version, v.CVSS.Score, v.CVSS.Vector)
	}
	fix := c.Mitigation
	if c.Mitigated != nil && fix != "" {
		fix += " (available since " + c.Mitigated.UTC().Format("2006-01-02 15:04 MST") + ")"
	}
	for _, req := range reporting.Contents(k, st) {
		text := ""
		switch {
		case strings.HasPrefix(req.Item, "The Member States"):
			text = "" // only the manufacturer knows where the product was made available
		case strings.HasPrefix(req.Item, "The actively exploited vulnerability"):
			text = fmt.Sprintf("Actively exploited vulnerability in %s: %s.", product, ids)
		case strings.HasPrefix(req.Item, "Whether the incident is suspected"):
			text = ""
		case strings.HasPrefix(req.Item, "General information about the product"):
			text = product
			if len(c.Components) > 0 {
				text += "; affected components: " + strings.Join(c.Components, ", ")
			}
		case strings.HasPrefix(req.Item, "The general nature"), strings.HasPrefix(req.Item, "General information about the nature"),
			strings.HasPrefix(req.Item, "An initial assessment"):
			text = firstNonEmpty(c.Description, "")
		case strings.HasPrefix(req.Item, "Corrective or mitigating measures taken"), strings.HasPrefix(req.Item, "Details of the security update"),
			strings.HasPrefix(req.Item, "Applied and ongoing mitigation"):
			text = fix
		case strings.HasPrefix(req.Item, "Corrective or mitigating measures users can take"):
			text = c.UserActions
		case strings.HasPrefix(req.Item, "A description of the vulnerability"), strings.HasPrefix(req.Item, "A detailed description of the incident"):
			if c.Description != "" {
				text = c.Description + " Severity: " + sev + "."
			}
		}
		d.Items = append(d.Items, DraftItem{Requirement: req, Text: text, Missing: text == ""})
	}
	return d
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
