package result

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSeverity(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Severity
		err  bool
	}{
		{"info", SeverityInfo, false},
		{"low", SeverityLow, false},
		{"medium", SeverityMedium, false},
		{"High", SeverityHigh, false},
		{"CRITICAL", SeverityCritical, false},
		{"", 0, true},
		{"unknown", 0, true},
		{"severe", 0, true},
		{" high", 0, true},
	} {
		got, err := ParseSeverity(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseSeverity(%q) = %v, %v", tc.in, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "want info, low, medium, high or critical") {
			t.Errorf("error %q does not list the names", err)
		}
	}
	if !(SeverityInfo < SeverityLow && SeverityLow < SeverityMedium && SeverityMedium < SeverityHigh && SeverityHigh < SeverityCritical) {
		t.Error("severities are not ordered")
	}
	for s := SeverityInfo; s <= SeverityCritical; s++ {
		if p, err := ParseSeverity(s.String()); err != nil || p != s {
			t.Errorf("%v does not round-trip", s)
		}
	}
	if Severity(0).String() != "unknown" || Severity(9).String() != "unknown" {
		t.Error("out-of-range severities must print as unknown")
	}
	var s Severity
	if err := json.Unmarshal([]byte(`"bogus"`), &s); err == nil {
		t.Error("JSON accepted an unknown severity")
	}
}

func TestStatusOrder(t *testing.T) {
	want := []Status{Pass, Fail, NotApplicable, Error, Waived}
	if !slices.Equal(Statuses, want) {
		t.Errorf("Statuses = %v; renderers and summaries rely on %v", Statuses, want)
	}
	for _, s := range Statuses {
		if string(s) != strings.ToLower(string(s)) || strings.Contains(string(s), " ") {
			t.Errorf("status %q is not a lower-case token", s)
		}
	}
}

func TestSummarizeAndMaxFailed(t *testing.T) {
	r := &Report{Results: []Result{
		{Status: Fail, Severity: SeverityLow},
		{Status: Fail, Severity: SeverityHigh},
		{Status: Pass, Severity: SeverityCritical},
		{Status: Waived, WaivedStatus: Fail, Severity: SeverityCritical},
	}}
	r.Summarize()
	if !reflect.DeepEqual(r.Summary, Summary{Pass: 1, Fail: 2, NotApplicable: 0, Error: 0, Waived: 1}) {
		t.Errorf("summary %v (every status must be present)", r.Summary)
	}
	if got := r.MaxFailedSeverity(); got != SeverityHigh {
		t.Errorf("max failed severity %v: passing and waived results do not count", got)
	}
	if got := (&Report{}).MaxFailedSeverity(); got != 0 {
		t.Errorf("empty report: %v", got)
	}
}

func TestReportJSONRoundTrip(t *testing.T) {
	r := &Report{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "cradle", Version: "1.2.3"},
		Target:        Target{Kind: "rootfs", Name: "/srv/root", OS: "Debian GNU/Linux 12", Hostname: "h"},
		Profile:       "default",
		StartedAt:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		DurationMS:    42,
		Results: []Result{
			{RuleID: "ssh.root", Title: "t", Status: Waived, Severity: SeverityHigh, Fixable: true, Reason: "r",
				References:   map[string][]string{"cra": {"CRA.A1.P1.2d"}},
				Evidence:     []Evidence{{Expected: "no", Observed: "yes", File: "/etc/ssh/sshd_config", Line: 3, Note: "n"}},
				Waiver:       &Waiver{Justification: "j", Owner: "o", Expires: "2027-01-01", Source: "w.yaml:2"},
				WaivedStatus: Fail, Description: "d", Rationale: "ra"},
			{RuleID: "x", Status: Pass, Severity: SeverityInfo, References: map[string][]string{}, Evidence: []Evidence{}},
		},
	}
	r.Summarize()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"severity":"high"`, `"status":"waived"`, `"waived_status":"fail"`, `"summary":{`, `"not_applicable":0`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, r) {
		t.Errorf("round trip changed the report:\n got %+v\nwant %+v", back, *r)
	}
}
