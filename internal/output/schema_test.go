package output_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/casestore"
	"github.com/cradle-cra/cradle/internal/catalog"
	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/classify"
	"github.com/cradle-cra/cradle/internal/csaf"
	"github.com/cradle-cra/cradle/internal/drift"
	"github.com/cradle-cra/cradle/internal/fim"
	"github.com/cradle-cra/cradle/internal/journal"
	"github.com/cradle-cra/cradle/internal/output"
	"github.com/cradle-cra/cradle/internal/output/outputtest"
	"github.com/cradle-cra/cradle/internal/psirt"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/version"
)

// TestSchemasCoverKinds: one schema per registered kind, no stray ones.
func TestSchemasCoverKinds(t *testing.T) {
	all, err := outputtest.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	var have []output.Kind
	for k := range all {
		have = append(have, k)
	}
	slices.Sort(have)
	if want := output.Default().Kinds(); !slices.Equal(have, want) {
		t.Errorf("docs/schemas has %v, registry %v", have, want)
	}
}

var when = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// samples are documents of every kind with every optional field set.
// Scan reports and fix plans come from their renderers' golden files.
func samples(t *testing.T) map[output.Kind][]any {
	t.Helper()
	reg := output.Default()
	read := func(path string) any {
		_, doc, err := reg.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	items := []drift.Item{
		{ID: "a1", Kind: drift.KindRuleStatus, Change: drift.ChangeNewFailure, Rule: "ssh.permit_root_login", Before: "pass", After: "fail", FirstSeen: when},
		{ID: "b2", Kind: drift.KindValue, Change: drift.ChangeChanged, Rule: "ssh.permit_root_login", Path: "/etc/ssh/sshd_config",
			Expected: "PermitRootLogin no", Before: "PermitRootLogin no", After: "PermitRootLogin yes", FirstSeen: when},
		{ID: "c3", Kind: drift.KindFile, Change: drift.ChangeRemoved, Path: "/etc/issue", Attr: "type", Before: "file", After: "", FirstSeen: when},
	}
	snap := &drift.Snapshot{TargetName: "/srv/rootfs", ApprovedAt: when,
		Approval: drift.Approval{Actor: "jdoe", OSUser: "root", ChangeRef: "CHG-1", Reason: "hardened"}}
	snap.Options.Profile = "default"
	evDrift := drift.NewEvent(drift.EventDrift, when, "root:/srv/rootfs")
	evDrift.Item = &items[1]
	evResolved := drift.NewEvent(drift.EventResolved, when, "root:/srv/rootfs")
	evResolved.Item = &items[0]
	evErr := drift.NewEvent(drift.EventError, when, "root:/srv/rootfs")
	evErr.Error = "approved snapshot does not verify"
	evFIM := drift.NewEvent(drift.EventIntegrity, when, "host")
	evFIM.Change = &fim.Change{Path: "/etc/hosts", Kind: fim.Changed, Type: fim.TypeFile,
		Diffs: []fim.Diff{{Attr: "mode", Old: "0644", New: "0666"}}}
	evFIMBack := drift.NewEvent(drift.EventResolved, when, "host")
	evFIMBack.Change = &fim.Change{Path: "/etc/hosts", Kind: fim.Changed, Type: fim.TypeFile}
	rolled := when.Add(time.Hour)
	eng, err := catalog.Load("test")
	if err != nil {
		t.Fatal(err)
	}
	stamped := version.Info{Version: "1.2.3", Revision: "0123456789abcdef0123456789abcdef01234567",
		Time: "2026-01-02T03:04:05Z", Modified: true, GoVersion: "go1.26.8", OS: "linux", Arch: "arm64"}.Document()
	unstamped := version.Info{Version: version.Devel, GoVersion: "go1.26.8", OS: "windows", Arch: "amd64"}.Document()
	return map[output.Kind][]any{
		output.KindScanReport: {read(filepath.Join("..", "render", "testdata", "report.json.golden")),
			read(filepath.Join("..", "render", "testdata", "scap-report.json.golden")),
			read(filepath.Join("..", "render", "testdata", "empty.json.golden"))},
		output.KindFixPlan: {read(filepath.Join("..", "fix", "testdata", "plan.json.golden")),
			read(filepath.Join("..", "fix", "testdata", "apply.json.golden"))},
		output.KindDriftReport: {drift.NewReport("root:/srv/rootfs", snap, "sha256:00", when, items),
			drift.NewReport("host", &drift.Snapshot{}, "sha256:00", when, nil)},
		output.KindRunList: {journal.NewRunList("root:/srv/rootfs", []journal.Run{
			{ID: "20261127T100000Z-1a2b", Time: when, User: "root", Actor: "jdoe", ChangeRef: "CHG-1", Reason: "r",
				Target: "root:/srv/rootfs", Rules: []string{"ssh.permit_root_login"}, Ops: 1, State: journal.StateRolledBack,
				RolledBackAt: &rolled, Paths: []string{"/etc/ssh/sshd_config"}, Root: &remedy.RootID{Dev: 2049, Ino: 131073},
				Skipped: []journal.Skip{{Path: "/etc/shadow", Rules: []string{"file.shadow.permissions"}, Reason: "has 2 hard links"}}},
		}), journal.NewRunList("host", nil)},
		output.KindChangeLog: {changelog.NewListing("root:/srv/rootfs", "/var/lib/cradle/logs/x.jsonl", []changelog.Entry{{
			Seq: 1, Time: when.Format(time.RFC3339Nano), Actor: changelog.Actor{OSUser: changelog.OSUser{UID: "0", Name: "root", SudoUser: "jdoe"}, Actor: "jdoe"},
			Action: changelog.ActionApprove, Rules: []string{"ssh.permit_root_login"}, Target: "root:/srv/rootfs", ChangeRef: "CHG-1",
			Reason: "r", Before: map[string]string{"snapshot": "sha256:00"}, After: map[string]string{"snapshot": "sha256:11"},
			Details: json.RawMessage(`{"rules":1}`), PrevHash: "sha256:00", Hash: "sha256:11", KeyID: "k", Sig: "c2ln",
		}}), changelog.NewListing("host", "/var/lib/cradle/logs/host.jsonl", nil)},
		output.KindWatchEvent: {&[]drift.Event{evDrift, evResolved, evErr, evFIM, evFIMBack}},
		output.KindVersion:    {&stamped, &unstamped},
		output.KindFIMReport: {read(filepath.Join("..", "fim", "testdata", "check.json.golden")),
			read(filepath.Join("..", "fim", "testdata", "show.json.golden")),
			read(filepath.Join("..", "fim", "testdata", "attrib.json.golden")),
			read(filepath.Join("..", "fim", "testdata", "verify.json.golden"))},
		output.KindSBOMCheck: {read(filepath.Join("..", "sbom", "testdata", "check.json.golden")),
			read(filepath.Join("..", "sbom", "testdata", "check-foreign.json.golden"))},
		output.KindCaseList: {caseSample(t), psirt.NewList(when, nil)},
		output.KindAdvisory: {&csaf.Result{SchemaVersion: csaf.ResultSchemaVersion, Kind: csaf.ResultKind, Generated: when, Case: "CASE-2026-0001",
			Status: csaf.StatusFinal, Version: "1", Documents: []csaf.Written{{Profile: csaf.ProfileAdvisory, TrackingID: "CASE-2026-0001",
				Path: "case-2026-0001.json", SHA256: strings.Repeat("ab", 32)}},
			Provider: []csaf.Written{{Path: "www/.well-known/csaf/white/2026/case-2026-0001.json", SHA256: strings.Repeat("ab", 32)}},
			Notes:    []string{"n"}}, csaf.NewResult(when, "CASE-2026-0002", csaf.Tracking{Status: csaf.StatusDraft, Version: "0"})},
		output.KindClassification: {classified(t, classify.Input{Categories: []string{"I.12", "II.2"}, Standards: classify.StandardsNone}),
			classified(t, classify.Input{Scheme: classify.AssuranceSubstantial, FreeOpenSource: true})},
		output.KindSBOMDiff:         {read(filepath.Join("..", "sbom", "testdata", "diff.json.golden"))},
		output.KindVulnReport:       {read(filepath.Join("..", "vuln", "testdata", "report.json.golden"))},
		output.KindSCAPInfo:         {read(filepath.Join("..", "scap", "xccdf", "testdata", "info.json.golden"))},
		output.KindAnnex1Matrix:     {read(filepath.Join("..", "evidence", "testdata", "annex1-matrix.json.golden"))},
		output.KindEvidenceManifest: {read(filepath.Join("..", "evidence", "testdata", "manifest.json.golden"))},
		output.KindKeyList: {signing.NewKeyList([]signing.KeyInfo{
			{ID: "0123456789abcdef", Created: when, Status: signing.StatusActive},
			{ID: "fedcba9876543210", Created: when.Add(-time.Hour), Retired: &rolled, Status: signing.StatusRetired},
			{ID: "00112233445566aa", Status: signing.StatusTrusted},
		}), signing.NewKeyList(nil)},
		output.KindRuleList: {catalog.NewRuleList(eng, "", nil, eng.Rules.Rules),
			catalog.NewRuleList(eng, "strict", nil, eng.Rules.Rules[:1]),
			catalog.NewRuleList(eng, "", []string{eng.Rules.Rules[0].ID}, eng.Rules.Rules[:1])},
	}
}

// TestDocumentsMatchSchemas renders samples of every kind as JSON through
// the sink, validates them against their schema, and reads them back:
// converting JSON to JSON reproduces the bytes.
func TestDocumentsMatchSchemas(t *testing.T) {
	reg := output.Default()
	for kind, docs := range samples(t) {
		for i, doc := range docs {
			var buf bytes.Buffer
			sink, err := reg.Open(kind, "json", "", &buf)
			if err != nil {
				t.Fatal(err)
			}
			if err := sink.Write(doc, output.Options{}); err != nil {
				t.Fatalf("%s %d: %v", kind, i, err)
			}
			outputtest.Validate(t, kind, buf.Bytes())

			spec, back, err := reg.Decode("doc.json", buf.Bytes())
			if err != nil || spec.Kind != kind {
				t.Fatalf("%s %d read back: %v %v", kind, i, spec, err)
			}
			var again bytes.Buffer
			sink, _ = reg.Open(kind, "json", "", &again)
			if err := sink.Write(back, output.Options{}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Bytes(), buf.Bytes()) {
				t.Errorf("%s %d: JSON does not round-trip:\n%s\n---\n%s", kind, i, buf.Bytes(), again.Bytes())
			}
			var table bytes.Buffer
			sink, _ = reg.Open(kind, "table", "", &table)
			if err := sink.Write(back, output.Options{}); err != nil {
				t.Errorf("%s %d: table: %v", kind, i, err)
			}
		}
	}
}

// TestSchemasReject: every schema refuses a document without its kind,
// with another kind, or with another major version.
func TestSchemasReject(t *testing.T) {
	reg := output.Default()
	for kind, docs := range samples(t) {
		var buf bytes.Buffer
		sink, _ := reg.Open(kind, "json", "", &buf)
		if err := sink.Write(docs[0], output.Options{}); err != nil {
			t.Fatal(err)
		}
		first, _, _ := bytes.Cut(buf.Bytes(), []byte("\n{")) // a stream's first document
		if kind != output.KindWatchEvent {
			first = buf.Bytes()
		}
		for name, mutate := range map[string]func(m map[string]any){
			"no kind":      func(m map[string]any) { delete(m, "kind") },
			"other kind":   func(m map[string]any) { m["kind"] = "sbom" },
			"major 2":      func(m map[string]any) { m["schema_version"] = "2.0" },
			"no version":   func(m map[string]any) { delete(m, "schema_version") },
			"number major": func(m map[string]any) { m["schema_version"] = 1 },
		} {
			var m map[string]any
			if err := json.Unmarshal(first, &m); err != nil {
				t.Fatal(err)
			}
			mutate(m)
			b, _ := json.Marshal(m)
			if err := outputtest.Check(kind, b); err == nil {
				t.Errorf("%s: %s accepted", kind, name)
			}
		}
	}
}

// TestWatchEventSchema: an error event needs its error, others their item.
func TestWatchEventSchema(t *testing.T) {
	for _, bad := range []string{
		`{"schema_version":"1.0","kind":"watch_event","event":"drift","time":"2026-11-27T10:00:00Z","target":"host"}`,
		`{"schema_version":"1.0","kind":"watch_event","event":"error","time":"2026-11-27T10:00:00Z","target":"host"}`,
		`{"schema_version":"1.0","kind":"watch_event","event":"integrity","time":"2026-11-27T10:00:00Z","target":"host"}`,
		`{"schema_version":"1.0","kind":"watch_event","event":"resolved","time":"2026-11-27T10:00:00Z","target":"host"}`,
	} {
		if err := outputtest.Check(output.KindWatchEvent, []byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if _, err := os.Stat(filepath.Join("..", "..", "docs", "schemas", "watch_event.schema.json")); err != nil {
		t.Fatal(err)
	}
}

// TestUndocumentedProperties: a property the code writes must be in the
// schema, at any depth; free-form objects (details) take any.
func TestUndocumentedProperties(t *testing.T) {
	for _, tc := range []struct {
		kind output.Kind
		doc  string
		want string // "" for accepted
	}{
		{output.KindRunList, `{"schema_version":"1.0","kind":"run_list","target":"host","runs":[],"surprise":1}`, "surprise"},
		{output.KindRunList, `{"schema_version":"1.0","kind":"run_list","target":"host","runs":[{"id":"r","time":"2026-01-02T03:04:05Z","user":"root","target":"host","rules":[],"operations":0,"state":"applied","paths":[],"skipped":[{"path":"/x","reason":"r","why":1}]}]}`, "runs[].skipped[].why"},
		{output.KindWatchEvent, `{"schema_version":"1.0","kind":"watch_event","event":"drift","time":"2026-01-02T03:04:05Z","target":"host","item":{"id":"x","kind":"value","change":"changed","before":"a","after":"b","first_seen":"2026-01-02T03:04:05Z","extra":1}}`, "item.extra"},
		{output.KindWatchEvent, `{"schema_version":"1.0","kind":"watch_event","event":"integrity","time":"2026-01-02T03:04:05Z","target":"host","change":{"path":"/x","kind":"added","type":"file","extra":1}}`, "change.extra"},
		{output.KindChangeLog, `{"schema_version":"1.0","kind":"change_log","target":"host","path":"p","entries":[{"seq":1,"time":"2026-01-02T03:04:05Z","actor":{"os_user":{"uid":"0"}},"action":"note","target":"host","prev_hash":"","hash":"h","key_id":"k","sig":"s","details":{"anything":{"goes":1}},"before":{"any/path":"sha256:00"}}]}`, ""},
	} {
		err := outputtest.Check(tc.kind, []byte(tc.doc))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.kind, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want it to name %s", tc.kind, err, tc.want)
		}
	}
}

func classified(t *testing.T, in classify.Input) *classify.Result {
	t.Helper()
	r, err := classify.Classify(in)
	if err != nil {
		t.Fatal(err)
	}
	r.Product = "edge-gateway"
	return r
}

func caseSample(t *testing.T) *psirt.List {
	t.Helper()
	aware := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	c := &casestore.Case{ID: "CASE-2026-0001", Title: "RCE", Product: "p", Versions: []string{"1.0"}, Components: []string{}, Aliases: []string{"CVE-2026-1"},
		Received: aware.Add(-48 * time.Hour), Status: casestore.Confirmed, CVSS3: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		Exploited: true, Incident: true, Aware: &aware, Reports: []casestore.Report{{Kind: "vulnerability", Stage: "early_warning", Submitted: aware.Add(time.Hour), Reference: "SRP-1"}},
		Created: aware, Updated: aware}
	v, err := psirt.Build(c, aware.Add(30*time.Hour), psirt.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	v.Events = []casestore.Event{{Case: c.ID, Seq: 1, Time: aware, Actor: "jdoe", Action: "new", Changes: []byte("{}")}}
	return psirt.NewList(aware.Add(30*time.Hour), []*psirt.View{v})
}
