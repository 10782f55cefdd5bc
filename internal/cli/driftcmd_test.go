package cli

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/digest"
	"github.com/cradle-cra/cradle/internal/drift"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

const (
	sshdApproved = "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n"
	sshdDrifted  = "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n"
)

// driftFixture is a small Debian-like tree with sshd, a state directory
// and a runner bound to both.
func driftFixture(t *testing.T) (root string, mustRun func(want int, args ...string) (string, string), state string) {
	t.Helper()
	root = targettest.Dir(t, map[string]string{
		"etc/os-release":              "ID=debian\nVERSION_ID=\"12\"\n",
		"etc/ssh/sshd_config":         sshdApproved,
		"etc/ssh/sshd_config.d/.keep": "",
		"usr/sbin/sshd":               "",
	})
	state = t.TempDir()
	return root, mustRunner(t, map[string]string{"CRADLE_HOME": state}), state
}

func sha(s string) string { return digest.SHA256([]byte(s)) }

type driftDoc struct {
	Target     string       `json:"target"`
	ApprovedAt string       `json:"approved_at"`
	Items      []drift.Item `json:"items"`
}

func decodeDrift(t *testing.T, out string) driftDoc { return decodeAs[driftDoc](t, out) }

// decodeAs decodes a command's JSON output.
func decodeAs[T any](t *testing.T, out string) T {
	t.Helper()
	var d T
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return d
}

func TestDriftLifecycle(t *testing.T) {
	root, mustRun, state := driftFixture(t)

	// No snapshot yet: exit 2, naming what to do.
	_, errs := mustRun(2, "drift", "--root", root)
	if !strings.Contains(errs, "no approved snapshot") || !strings.Contains(errs, "baseline approve") {
		t.Fatalf("stderr %q", errs)
	}

	out, _ := mustRun(0, "baseline", "approve", "--root", root, "--change-ref", "CHG-7", "--actor", "jdoe", "--reason", "hardened")
	if !strings.Contains(out, "approved root:") || !strings.Contains(out, "change log entry 1") {
		t.Fatalf("approve output: %s", out)
	}
	out, _ = mustRun(0, "drift", "--root", root)
	if !strings.Contains(out, "no drift") || !strings.Contains(out, "jdoe") || !strings.Contains(out, "CHG-7") {
		t.Fatalf("clean drift: %s", out)
	}

	// The approval is in the change log, with the snapshot digest.
	out, _ = mustRun(0, "log", "--root", root, "--format", "json")
	var lg struct{ Entries []changelog.Entry }
	if err := json.Unmarshal([]byte(out), &lg); err != nil {
		t.Fatal(err)
	}
	if len(lg.Entries) != 1 || lg.Entries[0].Action != "approve" || lg.Entries[0].ChangeRef != "CHG-7" ||
		!strings.HasPrefix(lg.Entries[0].After["snapshot"], "sha256:") {
		t.Fatalf("log: %+v", lg.Entries)
	}
	mustRun(0, "log", "verify", "--root", root)

	// Drift: root login allowed.
	if err := os.WriteFile(filepath.Join(root, "etc/ssh/sshd_config"), []byte(sshdDrifted), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ = mustRun(3, "drift", "--root", root, "--format", "json")
	first := decodeDrift(t, out)
	find := func(d driftDoc, kind, attr string) drift.Item {
		t.Helper()
		for _, it := range d.Items {
			if it.Kind == kind && it.Attr == attr && (it.Rule == "ssh.permit_root_login" || kind == drift.KindFile && it.Path == "/etc/ssh/sshd_config") {
				return it
			}
		}
		t.Fatalf("no %s item in %+v", kind, d.Items)
		return drift.Item{}
	}
	if it := find(first, drift.KindRuleStatus, ""); it.Before != "pass" || it.After != "fail" || it.Change != drift.ChangeNewFailure {
		t.Errorf("rule status: %+v", it)
	}
	if it := find(first, drift.KindValue, ""); it.Before != "PermitRootLogin no" || it.After != "PermitRootLogin yes" || it.Path != "/etc/ssh/sshd_config" {
		t.Errorf("value: %+v", it)
	}
	if it := find(first, drift.KindFile, "sha256"); it.Before != sha(sshdApproved) || it.After != sha(sshdDrifted) {
		t.Errorf("file: %+v", it)
	}
	for _, it := range first.Items {
		if it.FirstSeen.IsZero() {
			t.Errorf("no first_seen: %+v", it)
		}
	}

	// first_seen is stable across evaluations; the table shows the items.
	out, _ = mustRun(3, "drift", "--root", root, "--format", "json")
	second := decodeDrift(t, out)
	if len(second.Items) != len(first.Items) {
		t.Fatalf("items changed between runs:\n%+v\n%+v", first.Items, second.Items)
	}
	for i := range first.Items {
		if !second.Items[i].FirstSeen.Equal(first.Items[i].FirstSeen) || second.Items[i].ID != first.Items[i].ID {
			t.Errorf("item %d: first_seen %v then %v", i, first.Items[i].FirstSeen, second.Items[i].FirstSeen)
		}
	}
	out, _ = mustRun(3, "drift", "--root", root)
	for _, want := range []string{"FIRST SEEN", "new_failure", "ssh.permit_root_login", "PermitRootLogin yes"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}

	// Report to a file.
	rep := filepath.Join(t.TempDir(), "drift.json")
	mustRun(3, "drift", "--root", root, "-f", "json", "-o", rep)
	if b, err := os.ReadFile(rep); err != nil || len(decodeDrift(t, string(b)).Items) != len(first.Items) {
		t.Errorf("report file: %v", err)
	}

	// Re-approving accepts the change and keeps the previous snapshot.
	mustRun(0, "baseline", "approve", "--root", root, "--reason", "root login needed for the appliance")
	mustRun(0, "drift", "--root", root)
	dir := snapshotDirFor(t, state, root)
	if hist, _ := filepath.Glob(filepath.Join(dir, "approved-*.json")); len(hist) != 1 {
		t.Errorf("history: %v", hist)
	}

	// Tampering with the snapshot is detected and named.
	p := filepath.Join(dir, drift.ApprovedFile)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	edited := string(editSigned(t, b, `"PermitRootLogin yes"`, `"PermitRootLogin no"`))
	if edited == string(editSigned(t, b, "", "")) {
		t.Fatal("snapshot does not record the observed value")
	}
	if err := os.WriteFile(p, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errs = mustRun(3, "drift", "--root", root)
	if !strings.Contains(errs, "does not verify") || !strings.Contains(errs, p) {
		t.Errorf("tamper message: %s", errs)
	}
}

func snapshotDirFor(t *testing.T, state, root string) string {
	t.Helper()
	spec, err := target.NewSpec(target.KindRootFS, root)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(state, "snapshots", spec.Key())
}

func TestApproveRequiresChangeRefByPolicy(t *testing.T) {
	root, _, state := driftFixture(t)
	env := map[string]string{"CRADLE_HOME": state, "CRADLE_REQUIRE_CHANGE_REF": "1"}
	_, errs, code := runIn(t, env, "baseline", "approve", "--root", root, "--rule", "ssh.permit_root_login")
	if code != 2 || !strings.Contains(errs, "change reference") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(snapshotDirFor(t, state, root), drift.ApprovedFile)); err == nil {
		t.Error("a snapshot was stored without the required change reference")
	}
}

func TestDriftUsageErrors(t *testing.T) {
	root, mustRun, _ := driftFixture(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"drift", "--root", root, "--image", "x.tar"}, "mutually exclusive"},
		{[]string{"drift", "--root", root, "--format", "xml"}, "unknown format"},
		{[]string{"watch", "--root", root, "--interval", "10s", "--min-interval", "1m"}, "shorter than the minimum interval"},
		{[]string{"watch", "--root", root, "--ioprio", "realtime"}, "unknown I/O priority class"},
		{[]string{"watch", "--root", root, "--once", "--nice", "0"}, "no approved snapshot"},
		{[]string{"baseline", "approve", "--root", root, "--profile", "nope"}, "unknown profile"},
	}
	for _, tc := range tests {
		_, errs := mustRun(2, tc.args...)
		if !strings.Contains(errs, tc.want) {
			t.Errorf("%v: stderr %q lacks %q", tc.args, errs, tc.want)
		}
	}
	for _, help := range [][]string{{"baseline", "approve", "--help"}, {"drift", "--help"}, {"watch", "--help"}} {
		out, _ := mustRun(0, help...)
		if !strings.Contains(out, "Exit codes") {
			t.Errorf("%v: help lacks exit codes:\n%s", help, out)
		}
	}
}

func jsonLines(t *testing.T, out string) []drift.Event {
	t.Helper()
	var evs []drift.Event
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var ev drift.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func TestWatchOnceEmitsNewAndResolvedEvents(t *testing.T) {
	root, mustRun, _ := driftFixture(t)
	mustRun(0, "baseline", "approve", "--root", root, "--rule", "ssh.permit_root_login")
	watch := []string{"watch", "--root", root, "--once", "--nice", "0", "--ioprio", "none"}

	out, _ := mustRun(0, watch...)
	if out != "" {
		t.Fatalf("events without drift: %s", out)
	}

	var mu sync.Mutex
	var hooked []drift.Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev drift.Event
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("webhook body %s: %v", b, err)
		}
		mu.Lock()
		hooked = append(hooked, ev)
		mu.Unlock()
	}))
	defer srv.Close()

	os.WriteFile(filepath.Join(root, "etc/ssh/sshd_config"), []byte(sshdDrifted), 0o644)
	out, _ = mustRun(0, append(watch, "--webhook", srv.URL)...)
	evs := jsonLines(t, out)
	kinds := map[string]bool{}
	for _, ev := range evs {
		if ev.Event != drift.EventDrift || ev.Item == nil || !strings.HasPrefix(ev.Target, "root:") {
			t.Errorf("event %+v", ev)
			continue
		}
		kinds[ev.Item.Kind] = true
	}
	if !kinds[drift.KindRuleStatus] || !kinds[drift.KindValue] || !kinds[drift.KindFile] {
		t.Errorf("events %s", out)
	}
	mu.Lock()
	if len(hooked) != len(evs) {
		t.Errorf("webhook got %d events, stdout %d", len(hooked), len(evs))
	}
	mu.Unlock()

	// Announced once: the next evaluation is quiet.
	if out, _ = mustRun(0, watch...); out != "" {
		t.Errorf("events repeated: %s", out)
	}

	// Reverting resolves them; -o appends.
	os.WriteFile(filepath.Join(root, "etc/ssh/sshd_config"), []byte(sshdApproved), 0o644)
	events := filepath.Join(t.TempDir(), "events.jsonl")
	mustRun(0, append(watch, "-o", events)...)
	b, err := os.ReadFile(events)
	if err != nil {
		t.Fatal(err)
	}
	resolved := jsonLines(t, string(b))
	if len(resolved) != len(evs) {
		t.Fatalf("resolved events %s, want %d", b, len(evs))
	}
	for _, ev := range resolved {
		if ev.Event != drift.EventResolved {
			t.Errorf("event %+v", ev)
		}
	}
}
