package reporting

import (
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func due(t *testing.T, cs []Clock, s Stage) string {
	t.Helper()
	for _, c := range cs {
		if c.Stage == s {
			if c.Due == nil {
				return "-"
			}
			return c.Due.Format(time.RFC3339)
		}
	}
	t.Fatalf("no %s clock", s)
	return ""
}

func stat(cs []Clock, s Stage) Status {
	for _, c := range cs {
		if c.Stage == s {
			return c.Status
		}
	}
	return ""
}

func TestClocks(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	tests := []struct {
		name       string
		f          Facts
		now        string
		rule       Rule
		cal        Calendar
		ew, n, fin string // due times, "-" = not started
	}{
		{name: "vulnerability, no fix yet",
			f: Facts{Kind: Vulnerability, Aware: utc("2026-10-24T22:30:00Z")}, now: "2026-10-24T23:30:00Z",
			ew: "2026-10-25T22:30:00Z", n: "2026-10-27T22:30:00Z", fin: "-"},
		{name: "awareness in local time across the end of summer time: 24 h are 24 elapsed hours",
			f: Facts{Kind: Vulnerability, Aware: time.Date(2026, 10, 25, 1, 30, 0, 0, berlin)}, now: "2026-10-25T00:00:00Z",
			ew: "2026-10-25T23:30:00Z", n: "2026-10-27T23:30:00Z", fin: "-"},
		{name: "fix available before the notification is due",
			f: Facts{Kind: Vulnerability, Aware: utc("2026-11-02T08:00:00Z"), Mitigated: utc("2026-11-02T20:00:00Z")}, now: "2026-11-02T21:00:00Z",
			ew: "2026-11-03T08:00:00Z", n: "2026-11-05T08:00:00Z", fin: "2026-11-16T20:00:00Z"},
		{name: "fix available after the notification",
			f: Facts{Kind: Vulnerability, Aware: utc("2026-11-02T08:00:00Z"), Mitigated: utc("2026-11-12T09:15:00Z"),
				Submitted: map[Stage]time.Time{EarlyWarning: utc("2026-11-02T12:00:00Z"), Notification: utc("2026-11-04T12:00:00Z")}},
			now: "2026-11-12T10:00:00Z",
			ew:  "2026-11-03T08:00:00Z", n: "2026-11-05T08:00:00Z", fin: "2026-11-26T09:15:00Z"},
		{name: "fix known before awareness: 14 days from the fix",
			f: Facts{Kind: Vulnerability, Aware: utc("2026-11-10T00:00:00Z"), Mitigated: utc("2026-11-01T00:00:00Z")}, now: "2026-11-10T01:00:00Z",
			ew: "2026-11-11T00:00:00Z", n: "2026-11-13T00:00:00Z", fin: "2026-11-15T00:00:00Z"},
		{name: "incident: final report one month after the notification, month end clamps",
			f:   Facts{Kind: Incident, Aware: utc("2027-01-29T10:00:00Z"), Submitted: map[Stage]time.Time{Notification: utc("2027-01-31T10:00:00Z")}},
			now: "2027-02-01T00:00:00Z",
			ew:  "2027-01-30T10:00:00Z", n: "2027-02-01T10:00:00Z", fin: "2027-02-28T10:00:00Z"},
		{name: "incident: leap year February",
			f:   Facts{Kind: Incident, Aware: utc("2028-01-30T10:00:00Z"), Submitted: map[Stage]time.Time{Notification: utc("2028-01-31T23:59:00Z")}},
			now: "2028-02-01T00:00:00Z",
			ew:  "2028-01-31T10:00:00Z", n: "2028-02-02T10:00:00Z", fin: "2028-02-29T23:59:00Z"},
		{name: "incident: December into the next year",
			f:   Facts{Kind: Incident, Aware: utc("2026-12-29T10:00:00Z"), Submitted: map[Stage]time.Time{Notification: utc("2026-12-31T10:00:00Z")}},
			now: "2027-01-01T00:00:00Z",
			ew:  "2026-12-30T10:00:00Z", n: "2027-01-01T10:00:00Z", fin: "2027-01-31T10:00:00Z"},
		{name: "incident: no notification yet, final report not started",
			f: Facts{Kind: Incident, Aware: utc("2026-12-01T10:00:00Z")}, now: "2026-12-01T11:00:00Z",
			ew: "2026-12-02T10:00:00Z", n: "2026-12-04T10:00:00Z", fin: "-"},
		{name: "EU 1182/71: the hour of the event is not counted",
			f: Facts{Kind: Vulnerability, Aware: utc("2026-12-04T10:15:00Z"), Mitigated: utc("2026-12-04T15:00:00Z")}, now: "2026-12-04T10:20:00Z",
			rule: EU1182,
			ew:   "2026-12-05T11:00:00Z", n: "2026-12-07T11:00:00Z", fin: "2026-12-19T00:00:00Z"},
		{name: "EU 1182/71: a period in days ending on a weekend and holidays ends with the next working day",
			f: Facts{Kind: Vulnerability, Aware: utc("2026-12-11T09:00:00Z"), Mitigated: utc("2026-12-11T09:30:00Z")}, now: "2026-12-11T10:00:00Z",
			rule: EU1182, cal: Calendar{Location: berlin, Holidays: []time.Time{time.Date(2026, 12, 25, 0, 0, 0, 0, berlin), time.Date(2026, 12, 28, 0, 0, 0, 0, berlin)}},
			ew: "2026-12-12T09:00:00Z", n: "2026-12-14T09:00:00Z", fin: "2026-12-29T23:00:00Z"},
		{name: "EU 1182/71: an incident's month ends with the next working day",
			f:   Facts{Kind: Incident, Aware: utc("2027-01-29T10:00:00Z"), Submitted: map[Stage]time.Time{Notification: utc("2027-01-31T10:00:00Z")}},
			now: "2027-02-01T00:00:00Z", rule: EU1182, // 2027-02-28 is a Sunday
			ew: "2027-01-30T10:00:00Z", n: "2027-02-01T10:00:00Z", fin: "2027-03-02T00:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := Clocks(tc.f, utc(tc.now), tc.rule, tc.cal)
			if err != nil {
				t.Fatal(err)
			}
			got := [3]string{due(t, cs, EarlyWarning), due(t, cs, Notification), due(t, cs, FinalReport)}
			if want := [3]string{tc.ew, tc.n, tc.fin}; got != want {
				t.Errorf("due %v, want %v", got, want)
			}
		})
	}
}

func TestStatuses(t *testing.T) {
	aware := utc("2026-12-01T00:00:00Z")
	f := Facts{Kind: Vulnerability, Aware: aware,
		Submitted: map[Stage]time.Time{EarlyWarning: utc("2026-12-02T03:00:00Z")}}
	cs, _ := Clocks(f, utc("2026-12-03T20:00:00Z"), WallClock, Calendar{})
	if stat(cs, EarlyWarning) != SubmittedLate || stat(cs, Notification) != DueSoon || stat(cs, FinalReport) != NotStarted {
		t.Errorf("statuses %v %v %v", stat(cs, EarlyWarning), stat(cs, Notification), stat(cs, FinalReport))
	}
	cs, _ = Clocks(f, utc("2026-12-04T01:00:00Z"), WallClock, Calendar{})
	if stat(cs, Notification) != Overdue || cs[1].Remaining != -time.Hour {
		t.Errorf("notification %v %v", stat(cs, Notification), cs[1].Remaining)
	}
	f.Covered = map[Stage]bool{Notification: true, EarlyWarning: true}
	f.Submitted = map[Stage]time.Time{EarlyWarning: utc("2026-12-01T05:00:00Z")}
	cs, _ = Clocks(f, utc("2026-12-01T06:00:00Z"), WallClock, Calendar{})
	if stat(cs, EarlyWarning) != Submitted || stat(cs, Notification) != NotRequired {
		t.Errorf("covered: %v %v", stat(cs, EarlyWarning), stat(cs, Notification))
	}
	cs, _ = Clocks(Facts{Kind: Incident, Aware: aware}, utc("2026-12-01T01:00:00Z"), "", Calendar{})
	if stat(cs, EarlyWarning) != Running {
		t.Errorf("early warning %v", stat(cs, EarlyWarning))
	}
}

func TestClocksRefuse(t *testing.T) {
	now := utc("2026-12-01T00:00:00Z")
	for _, tc := range []struct {
		f    Facts
		rule Rule
	}{
		{Facts{Kind: Vulnerability}, WallClock},
		{Facts{Kind: "breach", Aware: now}, WallClock},
		{Facts{Kind: Incident, Aware: now}, "lunar"},
	} {
		if _, err := Clocks(tc.f, now, tc.rule, Calendar{}); err == nil {
			t.Errorf("%+v %s accepted", tc.f, tc.rule)
		}
	}
}

func TestContents(t *testing.T) {
	for _, k := range []Kind{Vulnerability, Incident} {
		for _, s := range Stages {
			if len(Contents(k, s)) == 0 {
				t.Errorf("%s %s: no contents", k, s)
			}
		}
	}
}
