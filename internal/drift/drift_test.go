package drift

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/digest"
	"github.com/cradle-cra/cradle/internal/envelope"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestRecorderRecordsEveryAccessConcurrently(t *testing.T) {
	tg := targettest.Tree(t, map[string]string{
		"etc/ssh/sshd_config":          "PermitRootLogin no\n",
		"etc/ssh/sshd_config.d/a.conf": "X11Forwarding no\n",
		"etc/link":                     "->/etc/ssh/sshd_config",
	})
	rec := Record(tg)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target.ReadFile(rec, "/etc/ssh/sshd_config")
			rec.Stat("etc/ssh/../ssh/sshd_config")
			rec.ReadDir("etc/ssh/sshd_config.d")
			rec.Lstat("etc/link")
			rec.Readlink("etc/link")
			rec.Open("etc/missing")
		}()
	}
	wg.Wait()
	got := map[string]Access{}
	for _, r := range rec.Paths() {
		got[r.Path] = r.Access
	}
	want := map[string]Access{
		"etc/ssh/sshd_config":   AccessOpen | AccessStat,
		"etc/ssh/sshd_config.d": AccessList,
		"etc/link":              AccessLstat | AccessReadlink,
		"etc/missing":           AccessOpen,
	}
	if len(got) != len(want) {
		t.Fatalf("recorded %v, want %v", got, want)
	}
	for p, a := range want {
		if got[p] != a {
			t.Errorf("%s: access %b, want %b", p, got[p], a)
		}
	}
	if rec.Kind() != tg.Kind() || rec.Name() != tg.Name() {
		t.Error("recorder does not pass the target's identity through")
	}
}

func sum(s string) string { return digest.SHA256([]byte(s)) }

func report(results ...result.Result) *result.Report {
	r := &result.Report{Target: result.Target{Kind: "rootfs", Name: "/x"}, Results: results}
	r.Summarize()
	return r
}

func capture(t *testing.T, dir string, paths []Recorded, rep *result.Report) *Snapshot {
	t.Helper()
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	s, err := Capture(context.Background(), tg, paths, rep)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCaptureAndCompare(t *testing.T) {
	dir := targettest.Dir(t, map[string]string{
		"etc/ssh/sshd_config":          "PermitRootLogin no\n",
		"etc/ssh/sshd_config.d/a.conf": "X11Forwarding no\n",
		"etc/shadow":                   "root:*:1::::::\n",
		"etc/gone":                     "x\n",
		"etc/link":                     "->/etc/shadow",
		"proc/sys/kernel/x":            "1\n",
	})
	paths := []Recorded{
		{"etc/ssh/sshd_config", AccessOpen}, {"etc/ssh/sshd_config.d", AccessList}, {"etc/ssh/sshd_config.d/a.conf", AccessOpen},
		{"etc/shadow", AccessStat}, {"etc/gone", AccessOpen}, {"etc/link", AccessLstat}, {"etc/absent", AccessOpen},
		{"proc/sys/kernel/x", AccessOpen},
	}
	ruleBefore := result.Result{RuleID: "ssh.permit_root_login", Status: result.Pass,
		Evidence: []result.Evidence{{Expected: "PermitRootLogin no", Observed: "PermitRootLogin no", File: "/etc/ssh/sshd_config", Line: 1}}}
	approved := capture(t, dir, paths, report(ruleBefore, result.Result{RuleID: "other", Status: result.Fail}))

	byPath := map[string]FileState{}
	for _, f := range approved.Files {
		byPath[f.Path] = f
	}
	if _, ok := byPath["proc/sys/kernel/x"]; ok {
		t.Error("/proc is recorded")
	}
	if f := byPath["etc/ssh/sshd_config"]; f.Type != TypeFile || f.SHA256 != sum("PermitRootLogin no\n") || f.Mode != "0644" {
		t.Errorf("sshd_config: %+v", f)
	}
	if f := byPath["etc/ssh/sshd_config.d"]; !f.Listed || strings.Join(f.Entries, ",") != "a.conf" {
		t.Errorf("listed dir: %+v", f)
	}
	if f := byPath["etc/link"]; f.Type != TypeSymlink || f.Link != "/etc/shadow" || f.SHA256 != sum("root:*:1::::::\n") {
		t.Errorf("symlink: %+v", f)
	}
	if f := byPath["etc/absent"]; f.Type != TypeAbsent {
		t.Errorf("absent: %+v", f)
	}
	if items := Compare(approved, approved); len(items) != 0 {
		t.Fatalf("a snapshot differs from itself: %+v", items)
	}

	// Change things.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "etc/ssh/sshd_config"), []byte("PermitRootLogin yes\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "etc/ssh/sshd_config.d/b.conf"), []byte("x\n"), 0o644))
	must(os.Chmod(filepath.Join(dir, "etc/shadow"), 0o640))
	must(os.Remove(filepath.Join(dir, "etc/gone")))
	must(os.WriteFile(filepath.Join(dir, "etc/absent"), []byte("now here\n"), 0o600))
	ruleAfter := ruleBefore
	ruleAfter.Status = result.Fail
	ruleAfter.Evidence = []result.Evidence{{Expected: "PermitRootLogin no", Observed: "PermitRootLogin yes", File: "/etc/ssh/sshd_config", Line: 1}}
	cur := capture(t, dir, approved.Paths(), report(ruleAfter, result.Result{RuleID: "other", Status: result.Pass}))

	got := map[string]Item{}
	for _, it := range Compare(approved, cur) {
		got[it.Kind+" "+it.Change+" "+it.Rule+" "+it.Path+" "+it.Attr] = it
	}
	want := map[string][2]string{
		"rule_status new_failure ssh.permit_root_login  ":           {"pass", "fail"},
		"rule_status resolved other  ":                              {"fail", "pass"},
		"value changed ssh.permit_root_login /etc/ssh/sshd_config ": {"PermitRootLogin no", "PermitRootLogin yes"},
		"file changed  /etc/ssh/sshd_config sha256":                 {sum("PermitRootLogin no\n"), sum("PermitRootLogin yes\n")},
		"file changed  /etc/shadow mode":                            {"0644", "0640"},
		"file changed  /etc/link mode":                              {"0644", "0640"},
		"file added  /etc/ssh/sshd_config.d/b.conf entry":           {"absent", "present in /etc/ssh/sshd_config.d"},
		"file removed  /etc/gone ":                                  {"file mode 0644 owner " + owner(byPath["etc/gone"]) + " " + sum("x\n"), "absent"},
		"file added  /etc/absent ":                                  {"absent", "file mode 0600 owner " + owner(byPath["etc/gone"]) + " " + sum("now here\n")},
	}
	for k, ba := range want {
		it, ok := got[k]
		if !ok {
			t.Errorf("missing item %q", k)
			continue
		}
		if it.Before != ba[0] || it.After != ba[1] {
			t.Errorf("%s: %q -> %q, want %q -> %q", k, it.Before, it.After, ba[0], ba[1])
		}
		if it.ID == "" {
			t.Errorf("%s: no id", k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected item %q: %+v", k, got[k])
		}
	}
}

func TestCompareValuesIgnoreLineShiftsAndMoves(t *testing.T) {
	ev := func(obs, file string, line int) result.Evidence {
		return result.Evidence{Expected: "E", Observed: obs, File: file, Line: line}
	}
	mk := func(e ...result.Evidence) *Snapshot {
		s, err := Capture(context.Background(), targettest.Tree(t, nil), nil, report(result.Result{RuleID: "r", Status: result.Pass, Evidence: e}))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if items := Compare(mk(ev("v", "/a", 1)), mk(ev("v", "/b", 7))); len(items) != 0 {
		t.Errorf("moved value reported: %+v", items)
	}
	items := Compare(mk(ev("v", "/a", 1)), mk(ev("v", "/a", 1), ev("w", "/a", 2)))
	if len(items) != 1 || items[0].Before != "" || items[0].After != "w" {
		t.Errorf("added value: %+v", items)
	}
}

// editPayload replaces old with new inside a snapshot envelope's payload,
// keeping the signature.
func editPayload(t *testing.T, data []byte, old, new string) []byte {
	t.Helper()
	env, err := envelope.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := env.DecodeB64Payload()
	env.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(p), old, new, 1)))
	b, _ := json.Marshal(env)
	return b
}

func TestSignVerifyDetectsTampering(t *testing.T) {
	k, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := signing.Generate()
	keys := signing.Keyring{}
	keys.Add(k.Public())
	s := &Snapshot{Target: "root:/x", ApprovedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		Rules: []RuleState{{ID: "r", Status: result.Pass, Values: []Value{{Observed: "a <b> & c"}}}}}
	data, digest, err := Sign(s, k)
	if err != nil {
		t.Fatal(err)
	}
	got, d2, err := Verify("approved.json", data, keys)
	if err != nil || d2 != digest || got.Rules[0].Values[0].Observed != "a <b> & c" || !got.ApprovedAt.Equal(s.ApprovedAt) {
		t.Fatalf("round trip: %v %+v", err, got)
	}
	// Re-indenting is not an edit.
	var compact map[string]json.RawMessage
	json.Unmarshal(data, &compact)
	re, _ := json.Marshal(compact)
	if _, _, err := Verify("approved.json", re, keys); err != nil {
		t.Errorf("re-indented snapshot rejected: %v", err)
	}
	otherData, _, _ := Sign(s, other)
	tests := map[string][]byte{
		"edited value": editPayload(t, data, `"pass"`, `"fail"`),
		"unknown key":  otherData,
		"added field":  []byte(strings.Replace(string(data), `"payloadType"`, `"extra": 1, "payloadType"`, 1)),
		"other type":   []byte(strings.Replace(string(data), envelope.TypeDriftSnapshot, envelope.TypeChangeLogHead, 1)),
		"truncated":    data[:len(data)/2],
		"swapped sig":  []byte(strings.Replace(string(data), `"sig": "`, `"sig": "AAAA`, 1)),
	}
	for name, b := range tests {
		if _, _, err := Verify("approved.json", b, keys); !errors.Is(err, ErrTampered) {
			t.Errorf("%s: %v, want ErrTampered", name, err)
		}
	}

	dir := t.TempDir()
	if _, _, err := Load(dir, keys, "root:/x"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing snapshot: %v", err)
	}
	prev, err := Store(dir, data, time.Now())
	if err != nil || prev != nil {
		t.Fatal(err, prev)
	}
	if _, _, err := Load(dir, keys, "root:/y"); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "root:/x") {
		t.Errorf("another target's snapshot: %v", err)
	}
	prev, err = Store(dir, otherData, time.Now())
	if err != nil || string(prev) != string(data) {
		t.Fatal(err)
	}
	hist, _ := filepath.Glob(filepath.Join(dir, "approved-*.json"))
	if len(hist) != 1 {
		t.Errorf("history: %v", hist)
	}
	if fi, err := os.Stat(filepath.Join(dir, ApprovedFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("approved.json: %v %v", fi.Mode(), err)
	}
	if err := Restore(dir, prev); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(dir, keys, "root:/x"); err != nil {
		t.Errorf("restored snapshot: %v", err)
	}
}

func TestStateFirstSeenAndNotifications(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := Item{Kind: KindFile, Path: "/a", Before: "1", After: "2"}
	b := Item{Kind: KindFile, Path: "/b", Before: "1", After: "2"}
	a.setID()
	b.setID()

	st, err := LoadState(dir, "d1")
	if err != nil {
		t.Fatal(err)
	}
	items := []Item{a}
	if gone := st.Update(items, t0); len(gone) != 0 || !items[0].FirstSeen.Equal(t0) {
		t.Fatalf("first update: %v %+v", gone, items)
	}
	if n := st.Unnotified(items); len(n) != 1 {
		t.Fatalf("unnotified: %+v", n)
	}
	if err := st.Save(dir); err != nil {
		t.Fatal(err)
	}

	st, _ = LoadState(dir, "d1")
	items = []Item{a, b}
	st.Update(items, t0.Add(time.Hour))
	if !items[0].FirstSeen.Equal(t0) || !items[1].FirstSeen.Equal(t0.Add(time.Hour)) {
		t.Fatalf("first seen: %+v", items)
	}
	if n := st.Unnotified(items); len(n) != 1 || n[0].ID != b.ID {
		t.Fatalf("unnotified: %+v", n)
	}
	gone := st.Update([]Item{b}, t0.Add(2*time.Hour))
	if len(gone) != 1 || gone[0].Item.ID != a.ID || !gone[0].Notified {
		t.Fatalf("gone: %+v", gone)
	}
	st.Save(dir)

	// A new approval starts afresh.
	if st, _ := LoadState(dir, "d2"); len(st.Items) != 0 {
		t.Errorf("state of another snapshot: %+v", st.Items)
	}
	os.WriteFile(filepath.Join(dir, StateFile), []byte("{"), 0o600)
	if st, err := LoadState(dir, "d1"); err == nil || len(st.Items) != 0 {
		t.Errorf("damaged state: %v %+v", err, st)
	}
}
