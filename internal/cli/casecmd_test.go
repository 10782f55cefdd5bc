package cli

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
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
	home := t.TempDir()
	env := map[string]string{"CRADLE_HOME": home}
	store := filepath.Join(t.TempDir(), "cases.db")
	must := func(want int, args ...string) string {
		t.Helper()
		out, errs, code := runIn(t, env, append(args, "--store", store)...)
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
	must(0, "case", "close", "CASE-2026-0002", "--reason", "duplicate of CASE-2026-0001", "--resolution", "duplicate")
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
		{[]string{"case", "close", "CASE-2026-0001"}, "--reason is required"},
		{[]string{"case", "close", "CASE-2026-0001", "--reason", "x", "--resolution", "gone"}, "want one of fixed"},
	} {
		if out := must(2, tc.args...); !strings.Contains(out, tc.msg) {
			t.Errorf("%v: %s", tc.args, out)
		}
	}
	if out := must(0, "case", "list", "--all", "--format", "json"); strings.Count(out, `"id"`) != 2 {
		t.Errorf("refusals changed the store:\n%s", out)
	}
}

// TestCaseChangeLog: every case change is a signed change-log entry, and
// cradle case verify catches an edited log and a store changed behind
// cradle's back.
func TestCaseChangeLog(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"CRADLE_HOME": home}
	must := mustRunner(t, env)
	must(0, "case", "new", "--title", "RCE", "--cvss3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "--received", "2026-12-01T09:00:00Z")
	must(0, "case", "update", "CASE-2026-0001", "--status", "confirmed", "--note", "reproduced")
	must(0, "case", "close", "CASE-2026-0001", "--reason", "fixed in 2.4.1", "--resolution", "fixed")
	out, _ := must(0, "case", "verify")
	if !strings.Contains(out, "3 entries, 1 cases, 3 events") {
		t.Errorf("verify: %s", out)
	}
	logs, _ := filepath.Glob(filepath.Join(home, "logs", "cases-*.jsonl"))
	if len(logs) != 1 {
		t.Fatalf("logs %v", logs)
	}
	b, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	// An edited entry (the second one's note changed) no longer verifies.
	lines := bytes.Split(b, []byte("\n"))
	var env2 struct {
		PayloadType string            `json:"payloadType"`
		Payload     []byte            `json:"payload"`
		Signatures  []json.RawMessage `json:"signatures"`
	}
	if err := json.Unmarshal(lines[1], &env2); err != nil || !bytes.Contains(env2.Payload, []byte("reproduced")) {
		t.Fatalf("entry 2: %v %s", err, env2.Payload)
	}
	env2.Payload = bytes.Replace(env2.Payload, []byte("reproduced"), []byte("ignored"), 1)
	lines[1], _ = json.Marshal(env2)
	if err := os.WriteFile(logs[0], bytes.Join(lines, []byte("\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errs := must(3, "case", "verify"); !strings.Contains(errs, "not intact") {
		t.Errorf("edited log: %s", errs)
	}
	if err := os.WriteFile(logs[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	must(0, "case", "verify")
	// A store changed outside cradle: the case no longer matches the log.
	store := filepath.Join(home, "cases", "cases.db")
	db, err := sql.Open("sqlite3", "file:"+store)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE cases SET doc = replace(doc, '"RCE"', '"harmless"')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, errs := must(3, "case", "verify"); !strings.Contains(errs, "the store was edited") {
		t.Errorf("edited store: %s", errs)
	}
}

// TestCaseImport: one case per vulnerability; importing again updates,
// never duplicates; a KEV finding starts the Article 14 clocks.
func TestCaseImport(t *testing.T) {
	must := mustRunner(t, map[string]string{"CRADLE_HOME": t.TempDir()})
	report := filepath.Join("..", "psirt", "testdata", "vulns.json")
	for range 2 {
		must(0, "case", "import", report, "--product", "edge-gateway", "--version", "2.4.0")
	}
	out, _ := must(0, "case", "list", "--all", "--format", "json")
	var d caseDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Cases) != 2 || d.Cases[0].Severity != "critical" || len(d.Cases[0].Clocks) != 3 || len(d.Cases[1].Clocks) != 0 {
		t.Fatalf("cases %+v", d.Cases)
	}
	must(0, "case", "import", report, "--product", "other-product")
	must(0, "case", "import", report, "--product", "edge-gateway", "--suppressed")
	if out, _ := must(0, "case", "list", "--all"); strings.Count(out, "CASE-") != 5 {
		t.Errorf("after importing for a second product and the suppressed finding:\n%s", out)
	}
	must(0, "case", "verify")
	if _, errs := must(2, "case", "import", "nonexistent.json", "--product", "p"); !strings.Contains(errs, "no such file") {
		t.Errorf("missing file: %s", errs)
	}
}
