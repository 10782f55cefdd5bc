package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/rules"
	"github.com/cradle-cra/cradle/internal/tailor"
	"github.com/cradle-cra/cradle/internal/target"
)

// probe is a check template whose checks do what their rule says:
// {do: pass|fail|error|panic|block|slow}. It records how many of its
// checks run at once.
type probe struct {
	running, peak atomic.Int32
	evaluated     atomic.Int32
}

type probeCheck struct {
	p  *probe
	do string
}

func (*probe) Name() string { return "probe" }

func (p *probe) New(n *yaml.Node) (check.Check, error) {
	var a struct {
		Do string `yaml:"do"`
	}
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	return &probeCheck{p: p, do: a.Do}, nil
}

func (c *probeCheck) Evaluate(ctx context.Context, _ *facts.Store) check.Outcome {
	c.p.evaluated.Add(1)
	n := c.p.running.Add(1)
	defer c.p.running.Add(-1)
	for {
		peak := c.p.peak.Load()
		if n <= peak || c.p.peak.CompareAndSwap(peak, n) {
			break
		}
	}
	switch c.do {
	case "pass":
		return check.Pass()
	case "fail":
		return check.Fail(result.Evidence{Observed: "bad"})
	case "panic":
		var m map[string]int
		m["x"]++ // a real runtime panic, not a string
	case "block":
		<-ctx.Done()
		return check.Errorf("cancelled")
	case "slow":
		time.Sleep(15 * time.Millisecond)
		return check.Pass()
	}
	return check.Errorf("probe: %q", c.do)
}

const testProfiles = "profiles:\n  - id: default\n  - id: strict\n    extends: [default]\n"

// rule is one rule of the test baseline in YAML.
func rule(id, do string, extra ...string) string {
	s := fmt.Sprintf("  - id: %s\n    title: %s\n    description: d\n    rationale: r\n    severity: medium\n    profiles: [default]\n    references: {cra: [CRA.A1.P1.2b]}\n    check: {probe: {do: %s}}\n", id, id, do)
	for _, e := range extra {
		s += "    " + e + "\n"
	}
	return s
}

func newEngine(t *testing.T, ruleYAML ...string) (*Engine, *probe) {
	t.Helper()
	p := &probe{}
	reg := check.NewRegistry()
	if err := reg.Register(p); err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"profiles.yaml":   {Data: []byte(testProfiles)},
		"rules/test.yaml": {Data: []byte("rules:\n" + strings.Join(ruleYAML, ""))},
	}
	set, profiles, err := rules.LoadFS(fsys, "rules", "profiles.yaml", reg)
	if err != nil {
		t.Fatal(err)
	}
	e := &Engine{Registry: reg, Rules: set, Profiles: profiles, Version: "test",
		Platform: fixedPlatform(facts.Platform{ID: "ubuntu", Families: []string{"ubuntu", "debian"}, Name: "Ubuntu 24.04"}, nil)}
	return e, p
}

func fixedPlatform(p facts.Platform, err error) facts.Collector[facts.Platform] {
	return func(context.Context, *facts.Store) (facts.Platform, error) { return p, err }
}

func emptyTarget(t *testing.T) target.Target {
	t.Helper()
	tg, err := target.OpenRootFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func scan(t *testing.T, e *Engine, opts Options) *result.Report {
	t.Helper()
	plan, err := e.Plan(opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := e.Scan(context.Background(), emptyTarget(t), plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func byID(rep *result.Report) map[string]result.Result {
	m := map[string]result.Result{}
	for _, r := range rep.Results {
		m[r.RuleID] = r
	}
	return m
}

func TestScanStatusesAndPanicRecovery(t *testing.T) {
	e, _ := newEngine(t, rule("a.pass", "pass"), rule("a.fail", "fail"), rule("a.panic", "panic"), rule("a.error", "nonsense"))
	rep := scan(t, e, Options{})
	got := byID(rep)
	for id, want := range map[string]result.Status{"a.pass": result.Pass, "a.fail": result.Fail, "a.panic": result.Error, "a.error": result.Error} {
		if got[id].Status != want {
			t.Errorf("%s: %s (%s), want %s", id, got[id].Status, got[id].Reason, want)
		}
	}
	if r := got["a.panic"].Reason; !strings.Contains(r, "internal error in check") || !strings.Contains(r, "nil map") {
		t.Errorf("panic reason %q", r)
	}
	if ev := got["a.fail"].Evidence; len(ev) != 1 || ev[0].Observed != "bad" {
		t.Errorf("evidence %+v", ev)
	}
	if rep.Target.OS != "Ubuntu 24.04" || rep.Tool.Version != "test" || rep.Profile != "default" {
		t.Errorf("report header %+v %+v %q", rep.Target, rep.Tool, rep.Profile)
	}
	if len(rep.Results) != 4 || rep.Summary[result.Fail] != 1 || rep.Summary[result.Error] != 2 || rep.Summary[result.Pass] != 1 {
		t.Errorf("summary %+v", rep.Summary)
	}
}

func TestPlatformApplicability(t *testing.T) {
	rs := []string{
		rule("p.any", "pass"),
		rule("p.debian", "pass", "platforms: [debian]"),
		rule("p.rhel", "pass", "platforms: [rhel, fedora]"),
	}
	for _, tc := range []struct {
		name     string
		platform facts.Collector[facts.Platform]
		want     map[string]result.Status
		reason   string
	}{
		{"derived distribution", fixedPlatform(facts.Platform{ID: "ubuntu", Families: []string{"ubuntu", "debian"}}, nil),
			map[string]result.Status{"p.any": result.Pass, "p.debian": result.Pass, "p.rhel": result.NotApplicable},
			"platform ubuntu is not one of [rhel fedora]"},
		{"unknown platform", fixedPlatform(facts.Platform{}, nil),
			map[string]result.Status{"p.any": result.Pass, "p.debian": result.NotApplicable, "p.rhel": result.NotApplicable},
			"platform unknown is not one of"},
		{"detection error", fixedPlatform(facts.Platform{}, errors.New("os-release: permission denied")),
			map[string]result.Status{"p.any": result.Pass, "p.debian": result.Error, "p.rhel": result.Error},
			"platform detection: os-release: permission denied"},
		{"no detector", nil,
			map[string]result.Status{"p.any": result.Pass, "p.debian": result.Error, "p.rhel": result.Error},
			"no platform detector"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEngine(t, rs...)
			e.Platform = tc.platform
			got := byID(scan(t, e, Options{}))
			for id, want := range tc.want {
				if got[id].Status != want {
					t.Errorf("%s: %s (%s), want %s", id, got[id].Status, got[id].Reason, want)
				}
			}
			if r := got["p.rhel"].Reason; !strings.Contains(r, tc.reason) {
				t.Errorf("reason %q, want %q", r, tc.reason)
			}
		})
	}
}

// TestTraitApplicability: a rule requiring a trait the target lacks is
// not_applicable with the detector's reason; the rule's own requires
// (even empty) overrides its template's default.
func TestTraitApplicability(t *testing.T) {
	e, _ := newEngine(t,
		rule("t.any", "fail"),
		rule("t.kernel", "fail", "requires: [kernel]"),
		rule("t.init", "fail", "requires: [init]"),
		rule("t.optout", "fail", "requires: []"),
	)
	e.TemplateRequires = map[string][]string{"probe": {"init"}}
	e.Lacking = func(target.Target) map[string]string { return map[string]string{"kernel": "no kernel here"} }
	got := byID(scan(t, e, Options{}))
	for id, want := range map[string]result.Status{"t.any": result.Fail, "t.kernel": result.NotApplicable, "t.init": result.Fail, "t.optout": result.Fail} {
		if got[id].Status != want {
			t.Errorf("%s: %s (%s), want %s", id, got[id].Status, got[id].Reason, want)
		}
	}
	if r := got["t.kernel"].Reason; r != "no kernel here" {
		t.Errorf("reason %q", r)
	}
	e.Lacking = func(target.Target) map[string]string { return map[string]string{"init": "no init here"} }
	got = byID(scan(t, e, Options{}))
	for id, want := range map[string]result.Status{"t.any": result.NotApplicable, "t.kernel": result.Fail, "t.init": result.NotApplicable, "t.optout": result.Fail} {
		if got[id].Status != want {
			t.Errorf("template default: %s: %s (%s), want %s", id, got[id].Status, got[id].Reason, want)
		}
	}
}

func TestPlatformIsAFact(t *testing.T) {
	e, _ := newEngine(t, rule("p.a", "pass", "platforms: [debian]"), rule("p.b", "pass", "platforms: [debian]"))
	var n atomic.Int32
	e.Platform = func(context.Context, *facts.Store) (facts.Platform, error) {
		n.Add(1)
		return facts.Platform{ID: "debian", Families: []string{"debian"}}, nil
	}
	plan, err := e.Plan(Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := facts.NewStore(context.Background(), emptyTarget(t))
	if _, err := e.ScanStore(context.Background(), store, plan, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ScanStore(context.Background(), store, plan, Options{}); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 1 {
		t.Errorf("platform detected %d times over one store, want once", n.Load())
	}
	if p, err := facts.Get(store, facts.PlatformKey, e.Platform); err != nil || p.ID != "debian" {
		t.Errorf("platform fact %+v, %v", p, err)
	}
}

func TestWaiverOverlay(t *testing.T) {
	e, p := newEngine(t, rule("w.fail", "fail"), rule("w.error", "nonsense"), rule("w.pass", "pass"),
		rule("w.expired", "fail"), rule("w.skip", "fail"), rule("w.scoped", "fail"))
	ws, err := tailor.ParseWaivers("waivers.yaml", []byte(`waivers:
  - rule: w.fail
    justification: accepted risk
    owner: ops
    expires: 2030-01-31
  - rule: w.error
    justification: known collector gap
  - rule: w.pass
    justification: harmless
  - rule: w.expired
    justification: was accepted
    expires: 2020-01-01
  - rule: w.skip
    justification: do not even look
    run: false
  - rule: w.scoped
    justification: other machines only
    scope: [some-other-host]
`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	got := byID(scan(t, e, Options{Waivers: ws, Now: now}))

	w := got["w.fail"]
	if w.Status != result.Waived || w.WaivedStatus != result.Fail || w.Waiver == nil ||
		w.Waiver.Justification != "accepted risk" || w.Waiver.Owner != "ops" || w.Waiver.Expires != "2030-01-31" {
		t.Errorf("w.fail: %+v waiver %+v", w, w.Waiver)
	}
	if w := got["w.error"]; w.Status != result.Waived || w.WaivedStatus != result.Error {
		t.Errorf("w.error: %s / %s", w.Status, w.WaivedStatus)
	}
	if w := got["w.pass"]; w.Status != result.Pass || w.Waiver != nil {
		t.Errorf("a waiver must not touch a passing rule: %s %+v", w.Status, w.Waiver)
	}
	if w := got["w.expired"]; w.Status != result.Fail || w.Waiver != nil || !strings.Contains(w.Reason, "expired on 2020-01-01") ||
		!strings.Contains(w.Reason, "waivers.yaml") {
		t.Errorf("expired waiver: %s %q", w.Status, w.Reason)
	}
	if w := got["w.skip"]; w.Status != result.Waived || w.WaivedStatus != "" || !strings.Contains(w.Reason, "without evaluation: do not even look") {
		t.Errorf("run: false: %s %q", w.Status, w.Reason)
	}
	if w := got["w.scoped"]; w.Status != result.Fail {
		t.Errorf("waiver scoped to another target applied: %s", w.Status)
	}
	if n := p.evaluated.Load(); n != 5 {
		t.Errorf("%d checks evaluated, want 5 (run: false skips one)", n)
	}
}

func TestBoundedParallelism(t *testing.T) {
	var rs []string
	for i := range 12 {
		rs = append(rs, rule(fmt.Sprintf("s.r%02d", i), "slow"))
	}
	e, p := newEngine(t, rs...)
	var progress atomic.Int32
	rep := scan(t, e, Options{Workers: 3, Progress: func(done, total int) {
		progress.Add(1)
		if total != 12 || done < 1 || done > 12 {
			t.Errorf("progress %d/%d", done, total)
		}
	}})
	if peak := p.peak.Load(); peak > 3 || peak < 2 {
		t.Errorf("peak concurrency %d with 3 workers", peak)
	}
	if progress.Load() != 12 || rep.Summary[result.Pass] != 12 {
		t.Errorf("progress called %d times; summary %+v", progress.Load(), rep.Summary)
	}
	// Results keep plan order whatever order they finish in.
	for i, r := range rep.Results {
		if want := fmt.Sprintf("s.r%02d", i); r.RuleID != want {
			t.Fatalf("result %d is %s, want %s", i, r.RuleID, want)
		}
	}
}

func TestCancellation(t *testing.T) {
	var rs []string
	for i := range 20 {
		rs = append(rs, rule(fmt.Sprintf("c.r%02d", i), "block"))
	}
	e, p := newEngine(t, rs...)
	plan, err := e.Plan(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for p.running.Load() < 2 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	done := make(chan error, 1)
	go func() {
		rep, err := e.Scan(ctx, emptyTarget(t), plan, Options{Workers: 2})
		if rep != nil {
			t.Error("a cancelled scan returned a report")
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("scan did not stop on cancellation")
	}
	if n := p.evaluated.Load(); n >= 20 {
		t.Errorf("all %d checks started after cancellation", n)
	}
}

func TestPlan(t *testing.T) {
	e, _ := newEngine(t, rule("a.one", "pass"), rule("a.two", "pass"), rule("b.three", "pass"))
	ids := func(plan []Planned) string {
		var s []string
		for _, p := range plan {
			s = append(s, p.Rule.ID)
		}
		return strings.Join(s, ",")
	}
	tl, err := tailor.ParseTailoring("t.yaml", []byte("unselect: [a.*]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts Options
		want string
		err  string
	}{
		{"profile", Options{}, "a.one,a.two,b.three", ""},
		{"rule ids", Options{RuleIDs: []string{"b.three", "a.one"}}, "b.three,a.one", ""},
		{"unknown rule", Options{RuleIDs: []string{"nope"}}, "", `unknown rule "nope"`},
		{"rule typo", Options{RuleIDs: []string{"a.onee"}}, "", `unknown rule "a.onee"; did you mean "a.one"?`},
		{"rule glob", Options{RuleIDs: []string{"a.*"}}, "", `"a.*" is a glob; give a rule id`},
		{"unknown profile", Options{Profile: "nope"}, "", "nope"},
		{"tailoring", Options{Tailoring: tl}, "b.three", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := e.Plan(tc.opts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(plan); got != tc.want {
				t.Errorf("plan %s, want %s", got, tc.want)
			}
		})
	}
	bad, err := tailor.ParseTailoring("bad.yaml", []byte("params: {a.one: {missing: 1}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Plan(Options{Tailoring: bad}); err == nil || !strings.Contains(err.Error(), `unknown parameter "missing"`) {
		t.Errorf("tailoring an unknown parameter: %v", err)
	}
	for _, tc := range []struct{ name, file, want string }{
		{"select typo", "select: [a.one]\nunselect:\n  - b.thre\n", `t.yaml:3: unselect: unknown rule "b.thre"; did you mean "b.three"?`},
		{"glob typo", "select: [aa.*]\n", `t.yaml:1: select: "aa.*" matches no rule; did you mean "a.*"?`},
		{"params rule typo", "params:\n  a.onr: {x: 1}\n", `t.yaml:2: params: unknown rule "a.onr"; did you mean "a.one"?`},
		{"accept_unknown", "accept_unknown:\n- zzz.*\n", `t.yaml:2: accept_unknown: "zzz.*" matches no rule`},
		{"every typo", "select: [x.one]\nunselect: [b.tree]\n", "t.yaml:1: select: unknown rule \"x.one\"; did you mean \"a.one\"?\nt.yaml:2: unselect: unknown rule \"b.tree\"; did you mean \"b.three\"?"},
	} {
		tl, err := tailor.ParseTailoring("t.yaml", []byte(tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Plan(Options{Tailoring: tl}); err == nil || err.Error() != tc.want {
			t.Errorf("%s: err = %v, want %s", tc.name, err, tc.want)
		}
	}
	w, err := tailor.ParseWaivers("w.yaml", []byte("waivers:\n  - justification: lab\n    rule: a.tow\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Plan(Options{Waivers: w}); err == nil || err.Error() != `w.yaml:3: waiver: unknown rule "a.tow"; did you mean "a.two"?` {
		t.Errorf("waiver typo: %v", err)
	}
	w, err = tailor.ParseWaivers("w.yaml", []byte("a.one:\n  justification: lab\nb.*:\n  justification: lab\nc.one:\n  justification: lab\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Plan(Options{Waivers: w}); err == nil || err.Error() != `w.yaml:5: waiver: unknown rule "c.one"; did you mean "a.one"?` {
		t.Errorf("InSpec waiver typo: %v", err)
	}
}
