// Package reporting computes the Article 14 reporting clocks of the Cyber
// Resilience Act (Regulation (EU) 2024/2847) for an actively exploited
// vulnerability or a severe incident, and lists what each report must
// contain, so a case can show what is due, overdue or done and draft the
// content a person submits on ENISA's single reporting platform.
//
// The Regulation does not say how to count its hours, days and month.
// Two rules are offered. WallClock (the default, and the conservative
// one) counts 24 h and 72 h as elapsed time from the recorded awareness
// instant, 14 days as 14×24 h, and one month as the same day and time of
// the next month (the month's last day when it has no such date); it
// never moves a deadline later. EU1182 applies Regulation (EEC, Euratom)
// No 1182/71: the hour or day of the event is not counted, and a period
// in days or months ending on a Saturday, Sunday or listed public holiday
// ends with the next working day. Every instant is kept in UTC; the
// location only decides where days begin and end under EU1182 and how a
// due time is shown.
package reporting

import (
	"fmt"
	"time"
)

// Kind is what triggers reporting.
type Kind string

const (
	// Vulnerability is an actively exploited vulnerability (Art. 14(1), (2)).
	Vulnerability Kind = "vulnerability"
	// Incident is a severe incident having an impact on the security of
	// the product (Art. 14(3), (4)).
	Incident Kind = "incident"
)

// Stage is one report.
type Stage string

const (
	EarlyWarning Stage = "early_warning"
	Notification Stage = "notification"
	FinalReport  Stage = "final_report"
)

// Stages in order.
var Stages = []Stage{EarlyWarning, Notification, FinalReport}

// Rule is how periods are counted.
type Rule string

const (
	WallClock Rule = "wall-clock"
	EU1182    Rule = "eu-1182-71"
)

// Calendar is where days begin (EU1182) and which days are public holidays.
type Calendar struct {
	Location *time.Location // nil: UTC
	Holidays []time.Time    // dates (year, month, day) in Location
}

// Facts are what a case records.
type Facts struct {
	Kind Kind
	// Aware is when the manufacturer became aware (required).
	Aware time.Time
	// Mitigated is when a corrective or mitigating measure became
	// available (vulnerabilities); zero while none exists.
	Mitigated time.Time
	// Submitted holds when each report was submitted.
	Submitted map[Stage]time.Time
	// Covered marks stages whose information an earlier report already
	// gave ("unless the relevant information has already been provided").
	Covered map[Stage]bool
}

// Status of one clock.
type Status string

const (
	Running       Status = "running"        // due in the future
	DueSoon       Status = "due_soon"       // less than a quarter of the period left
	Overdue       Status = "overdue"        // due has passed, not submitted
	Submitted     Status = "submitted"      // submitted in time
	SubmittedLate Status = "submitted_late" // submitted after the due time
	NotStarted    Status = "not_started"    // its trigger has not happened yet
	NotRequired   Status = "not_required"   // covered by an earlier report
)

// Clock is one report's deadline.
type Clock struct {
	Stage Stage  `json:"stage"`
	Basis string `json:"basis"` // the article
	// Starts says what starts the clock.
	Starts string `json:"starts"`
	// Due is nil while the clock has not started.
	Due       *time.Time `json:"due,omitempty"`
	Submitted *time.Time `json:"submitted,omitempty"`
	Status    Status     `json:"status"`
	// Remaining is the time left (negative when overdue); zero unless
	// running, due soon or overdue.
	Remaining time.Duration `json:"remaining_ns,omitempty"`
}

// Clocks computes every stage's clock at now. An unknown kind or a zero
// awareness time is an error: a clock is never guessed.
func Clocks(f Facts, now time.Time, rule Rule, cal Calendar) ([]Clock, error) {
	if f.Aware.IsZero() {
		return nil, fmt.Errorf("no awareness time recorded: the Article 14 clocks start when the manufacturer becomes aware")
	}
	if rule == "" {
		rule = WallClock
	}
	if rule != WallClock && rule != EU1182 {
		return nil, fmt.Errorf("unknown counting rule %q (want %s or %s)", rule, WallClock, EU1182)
	}
	if cal.Location == nil {
		cal.Location = time.UTC
	}
	var out []Clock
	switch f.Kind {
	case Vulnerability:
		out = []Clock{
			{Stage: EarlyWarning, Basis: "Art. 14(2)(a)", Starts: "awareness", Due: ptr(hoursAfter(f.Aware, 24, rule))},
			{Stage: Notification, Basis: "Art. 14(2)(b)", Starts: "awareness", Due: ptr(hoursAfter(f.Aware, 72, rule))},
			{Stage: FinalReport, Basis: "Art. 14(2)(c)", Starts: "a corrective or mitigating measure is available"},
		}
		if !f.Mitigated.IsZero() {
			out[2].Due = ptr(daysAfter(f.Mitigated, 14, rule, cal))
		}
	case Incident:
		out = []Clock{
			{Stage: EarlyWarning, Basis: "Art. 14(4)(a)", Starts: "awareness", Due: ptr(hoursAfter(f.Aware, 24, rule))},
			{Stage: Notification, Basis: "Art. 14(4)(b)", Starts: "awareness", Due: ptr(hoursAfter(f.Aware, 72, rule))},
			{Stage: FinalReport, Basis: "Art. 14(4)(c)", Starts: "the incident notification is submitted"},
		}
		if t, ok := f.Submitted[Notification]; ok {
			out[2].Due = ptr(monthAfter(t, rule, cal))
		}
	default:
		return nil, fmt.Errorf("unknown report kind %q (want %s or %s)", f.Kind, Vulnerability, Incident)
	}
	for i := range out {
		c := &out[i]
		if t, ok := f.Submitted[c.Stage]; ok {
			c.Submitted = ptr(t.UTC())
		}
		c.Status, c.Remaining = status(c, f, now)
	}
	return out, nil
}

func ptr(t time.Time) *time.Time { u := t.UTC(); return &u }

func status(c *Clock, f Facts, now time.Time) (Status, time.Duration) {
	switch {
	case c.Submitted != nil && c.Due != nil && c.Submitted.After(*c.Due):
		return SubmittedLate, 0
	case c.Submitted != nil:
		return Submitted, 0
	case f.Covered[c.Stage] && c.Stage != EarlyWarning:
		return NotRequired, 0
	case c.Due == nil:
		return NotStarted, 0
	}
	left := c.Due.Sub(now)
	switch {
	case left < 0:
		return Overdue, left
	case left <= period(c.Stage, f.Kind)/4:
		return DueSoon, left
	}
	return Running, left
}

// period is a stage's nominal length, for "due soon".
func period(s Stage, k Kind) time.Duration {
	switch {
	case s == EarlyWarning:
		return 24 * time.Hour
	case s == Notification:
		return 72 * time.Hour
	case k == Vulnerability:
		return 14 * 24 * time.Hour
	}
	return 30 * 24 * time.Hour
}

// hoursAfter counts n hours from t. Under EU1182 the hour in which the
// event occurs is not counted (Reg. 1182/71 Art. 3(1)): the period starts
// at the next full hour. Periods in hours never roll over weekends
// (Art. 3(4) excludes them).
func hoursAfter(t time.Time, n int, rule Rule) time.Time {
	t = t.UTC()
	if rule == EU1182 {
		if tr := t.Truncate(time.Hour); !tr.Equal(t) {
			t = tr.Add(time.Hour)
		}
	}
	return t.Add(time.Duration(n) * time.Hour)
}

// daysAfter counts n days from t: under WallClock n×24 h; under EU1182
// the day of the event is not counted, the period ends at the end of its
// last day, rolled to the next working day (Art. 3(1), (2)(b), (4)).
func daysAfter(t time.Time, n int, rule Rule, cal Calendar) time.Time {
	if rule == WallClock {
		return t.UTC().Add(time.Duration(n) * 24 * time.Hour)
	}
	l := t.In(cal.Location)
	last := time.Date(l.Year(), l.Month(), l.Day()+n, 0, 0, 0, 0, cal.Location)
	return endOfWorkingDay(last, cal)
}

// monthAfter adds one calendar month: the same date of the next month,
// or that month's last day when it has no such date (Reg. 1182/71 Art.
// 3(2)(c); Go's AddDate would run into the month after).
func monthAfter(t time.Time, rule Rule, cal Calendar) time.Time {
	l := t.In(cal.Location)
	if rule == WallClock {
		l = t.UTC()
	}
	y, m, d := l.Date()
	first := time.Date(y, m+1, 1, 0, 0, 0, 0, l.Location())
	lastDay := first.AddDate(0, 1, -1).Day()
	if d > lastDay {
		d = lastDay
	}
	if rule == WallClock {
		return time.Date(first.Year(), first.Month(), d, l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
	}
	return endOfWorkingDay(time.Date(first.Year(), first.Month(), d, 0, 0, 0, 0, cal.Location), cal)
}

// endOfWorkingDay is the end of day (the start of the next day) of the
// first working day on or after day.
func endOfWorkingDay(day time.Time, cal Calendar) time.Time {
	for i := 0; i < 366 && !working(day, cal); i++ {
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, cal.Location)
	}
	return time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, cal.Location).UTC()
}

func working(day time.Time, cal Calendar) bool {
	if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	y, m, d := day.Date()
	for _, h := range cal.Holidays {
		hy, hm, hd := h.Date()
		if hy == y && hm == m && hd == d {
			return false
		}
	}
	return true
}
