package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

type caseDoc struct {
	Cases []struct {
		ID, Status, Severity string
		Remediation          *struct{ Status string }
		Clocks               []struct{ Kind, Stage, Status string }
		Drafts               []struct{ Stage string }
		Events               []struct{ Action string }
	}
}

func TestCaseLifecycle(t *testing.T) {
	store := filepath.Join(t.TempDir(), "cases.db")
	must := func(want int, args ...string) string {
		t.Helper()
		out, errs, code := run(t, append(args, "--store", store)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d: %s", args, code, want, errs)
		}
		return out + errs
	}
	must(0, "case", "new", "--title", "RCE in the web UI", "--product", "edge-gateway", "--version", "2.4.0",
		"--cvss3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "--received", "2026-12-01T09:00:00+01:00")
	must(0, "case", "new", "--title", "second")
	must(0, "case", "update", "CASE-2026-0001", "--status", "confirmed", "--exploited", "--aware", "2026-12-02T08:00:00Z",
		"--report", "early_warning=2026-12-02T10:00:00Z,SRP-1", "--note", "customer saw it")
	out := must(0, "case", "show", "case-2026-0001", "--format", "json")
	var d caseDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	c := d.Cases[0]
	if c.Status != "confirmed" || c.Severity != "critical" || len(c.Clocks) != 3 || c.Clocks[0].Status != "submitted" ||
		len(c.Drafts) != 3 || len(c.Events) != 2 || c.Events[1].Action != "status" {
		t.Errorf("case %+v", c)
	}
	must(0, "case", "update", "CASE-2026-0001", "--status", "fixed", "--mitigated", "2026-12-04T10:00:00Z", "--mitigation", "2.4.1")
	must(0, "case", "update", "CASE-2026-0002", "--status", "closed")
	if out := must(0, "case", "list"); strings.Contains(out, "CASE-2026-0002") || !strings.Contains(out, "CASE-2026-0001") {
		t.Errorf("open cases:\n%s", out)
	}
	if out := must(0, "case", "list", "--all"); !strings.Contains(out, "CASE-2026-0002") {
		t.Errorf("all cases:\n%s", out)
	}
	// Refusals: each leaves the store as it was.
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"case", "new"}, "--title is required"},
		{[]string{"case", "new", "--title", "x", "--cvss3", "CVSS:3.1/AV:Q"}, "does not parse"},
		{[]string{"case", "new", "--title", "x", "--exploited"}, "no awareness time"},
		{[]string{"case", "new", "--title", "x", "--received", "yesterday"}, "RFC 3339"},
		{[]string{"case", "new", "--title", "x", "--received", "2999-01-01T00:00:00Z"}, "in the future"},
		{[]string{"case", "update", "CASE-2026-0002", "--status", "fixed"}, "cannot move from closed to fixed"},
		{[]string{"case", "update", "CASE-2026-0009", "--status", "triage"}, "no such case"},
		{[]string{"case", "update", "CASE-2026-0001", "--report", "early=now"}, "stage is early_warning"},
		{[]string{"case", "show", "CASE-1999-0001"}, "no such case"},
	} {
		if out := must(2, tc.args...); !strings.Contains(out, tc.msg) {
			t.Errorf("%v: %s", tc.args, out)
		}
	}
	if out := must(0, "case", "list", "--all", "--format", "json"); strings.Count(out, `"id"`) != 2 {
		t.Errorf("refusals changed the store:\n%s", out)
	}
}
