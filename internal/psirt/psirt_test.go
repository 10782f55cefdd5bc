package psirt

import (
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/casestore"
	"github.com/cradle-cra/cradle/internal/reporting"
)

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func TestBuild(t *testing.T) {
	c := &casestore.Case{ID: "CASE-2026-0001", Title: "RCE in the web UI", Product: "edge-gateway", Versions: []string{"2.4.0"},
		Aliases: []string{"CVE-2026-12345"}, Description: "A crafted request runs commands as root.",
		Received: *at("2026-12-01T08:00:00Z"), Status: casestore.Confirmed,
		CVSS3: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Exploited: true, Aware: at("2026-12-03T12:00:00Z"),
		Reports: []casestore.Report{{Kind: "vulnerability", Stage: "early_warning", Submitted: *at("2026-12-03T20:00:00Z")}}}
	v, err := Build(c, *at("2026-12-06T06:00:00Z"), DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	if v.Severity != "critical" || v.CVSS.Score != 9.8 {
		t.Errorf("severity %s %v", v.Severity, v.CVSS)
	}
	if v.Remediation.Due.Format(time.RFC3339) != "2026-12-08T08:00:00Z" || v.Remediation.Status != "running" {
		t.Errorf("remediation %+v", v.Remediation)
	}
	if len(v.Clocks) != 3 || v.Clocks[0].Status != reporting.Submitted || v.Clocks[1].Status != reporting.DueSoon || v.Clocks[2].Status != reporting.NotStarted {
		t.Errorf("clocks %+v", v.Clocks)
	}
	if n := v.Next(); n == nil || n.Stage != reporting.Notification {
		t.Errorf("next %+v", n)
	}
	var drafted []string
	for _, d := range v.Drafts {
		for _, it := range d.Items {
			if !it.Missing {
				drafted = append(drafted, string(d.Stage)+": "+it.Text)
			}
		}
	}
	all := strings.Join(drafted, "\n")
	for _, want := range []string{"early_warning: Actively exploited vulnerability in edge-gateway 2.4.0: RCE in the web UI (CVE-2026-12345).",
		"final_report: A crafted request runs commands as root. Severity: critical, CVSS 3.1 base score 9.8"} {
		if !strings.Contains(all, want) {
			t.Errorf("drafts lack %q:\n%s", want, all)
		}
	}
}

func TestBuildRefuses(t *testing.T) {
	c := &casestore.Case{ID: "C", Received: *at("2026-12-01T08:00:00Z"), Exploited: true}
	if _, err := Build(c, time.Now(), DefaultPolicy()); err == nil || !strings.Contains(err.Error(), "no awareness time") {
		t.Errorf("exploited without awareness: %v", err)
	}
	c = &casestore.Case{ID: "C", CVSS3: "CVSS:3.1/AV:X"}
	if _, err := Build(c, time.Now(), DefaultPolicy()); err == nil {
		t.Error("bad vector accepted")
	}
}

func TestDeadlines(t *testing.T) {
	now := *at("2026-12-20T00:00:00Z")
	for _, tc := range []struct {
		c    casestore.Case
		want string
	}{
		{casestore.Case{Received: *at("2026-12-01T00:00:00Z"), CVSS3: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}, "overdue"},
		{casestore.Case{Received: *at("2026-12-01T00:00:00Z"), CVSS3: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Mitigated: at("2026-12-05T00:00:00Z")}, "met"},
		{casestore.Case{Received: *at("2026-12-01T00:00:00Z"), CVSS3: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Mitigated: at("2026-12-09T00:00:00Z")}, "late"},
		{casestore.Case{Received: *at("2026-12-01T00:00:00Z"), Status: casestore.Closed}, "closed"},
		{casestore.Case{Received: *at("2026-12-01T00:00:00Z")}, "running"},
	} {
		v, err := Build(&tc.c, now, DefaultPolicy())
		if err != nil {
			t.Fatal(err)
		}
		if v.Remediation.Status != tc.want {
			t.Errorf("%+v: %s, want %s", tc.c, v.Remediation.Status, tc.want)
		}
	}
}
