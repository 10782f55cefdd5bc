package checks

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/baseline"
	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/rules"
	"github.com/cradle-cra/cradle/internal/target"
)

// fixRoundTrip builds a check from YAML arguments, requires it to fail on
// tg, plans its fix, and requires the check to pass on the planned state
// (unless every operation is deferred) and a second plan on that state to
// be empty. It returns the change set for further assertions.
func fixRoundTrip(t *testing.T, tmpl check.Template, args string, tg target.Target) *remedy.Changes {
	t.Helper()
	c := newCheck(t, tmpl, args)
	ctx := context.Background()
	if o := c.Evaluate(ctx, facts.NewStore(ctx, tg)); o.Status != result.Fail {
		t.Fatalf("before fix: status %s, want fail (%s)", o.Status, o.Reason)
	}
	ch := planFix(t, c, tg)
	if len(ch.Ops()) == 0 {
		t.Fatal("Remediate recorded no operation for a failing check")
	}
	allDeferred := true
	for _, op := range ch.Ops() {
		allDeferred = allDeferred && op.Deferred()
	}
	if allDeferred {
		return ch
	}
	ov := ch.Overlay()
	if o := c.Evaluate(ctx, facts.NewStore(ctx, ov)); o.Status != result.Pass {
		for _, op := range ch.Ops() {
			t.Logf("op %s %s: %s\n%s", op.Kind, op.Path, op.Summary, op.Diff)
		}
		t.Fatalf("after fix: status %s, want pass (%s %+v)", o.Status, o.Reason, o.Evidence)
	}
	return ch
}

// parseCheck builds a check from YAML arguments.
func parseCheck(tmpl check.Template, args string) (check.Check, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(args), &doc); err != nil {
		return nil, err
	}
	return tmpl.New(doc.Content[0])
}

// newCheck builds a check from YAML arguments, failing the test on an error.
func newCheck(t *testing.T, tmpl check.Template, args string) check.Check {
	t.Helper()
	c, err := parseCheck(tmpl, args)
	if err != nil {
		t.Fatalf("New(%s): %v", args, err)
	}
	return c
}

// status evaluates c on tg.
func status(c check.Check, tg target.Target) check.Outcome {
	ctx := context.Background()
	return c.Evaluate(ctx, facts.NewStore(ctx, tg))
}

// remediate plans c's fix on ch (the current rule), reading facts of the
// unchanged target.
func remediate(t *testing.T, c check.Check, ch *remedy.Changes) {
	t.Helper()
	rem, ok := c.(check.Remediator)
	if !ok {
		t.Fatalf("%T does not implement check.Remediator", c)
	}
	ctx := context.Background()
	if err := rem.Remediate(ctx, facts.NewStore(ctx, ch.Target()), ch); err != nil {
		t.Fatalf("Remediate: %v", err)
	}
}

// fixNow is the time fix tests plan for: shadow day 19360 (2023-01-03),
// so ageing fixes judge the fixtures' last-change days reproducibly.
var fixNow = time.Unix(19360*86400+12*3600, 0).UTC()

// planFix plans c's fix on tg as the one rule of a new change set.
func planFix(t *testing.T, c check.Check, tg target.Target) *remedy.Changes {
	t.Helper()
	ch := remedy.New(tg)
	ch.SetNow(fixNow)
	ch.Begin("test.rule", remedy.Meta{})
	remediate(t, c, ch)
	return ch
}

// remediateOps plans a fix without the round trip (live package actions
// change nothing the overlay shows).
func remediateOps(t *testing.T, tmpl check.Template, args string, tg target.Target) *remedy.Changes {
	t.Helper()
	return planFix(t, newCheck(t, tmpl, args), tg)
}

// fxPlan plans the fix of one rule into ch when its check fails on the
// planned state, as cradle fix plans several rules into one change set.
func fxPlan(t *testing.T, ch *remedy.Changes, id string, tmpl check.Template, args string) {
	t.Helper()
	c := newCheck(t, tmpl, args)
	if status(c, ch.Overlay()).Status != result.Fail {
		return
	}
	ch.Begin(id, remedy.Meta{})
	remediate(t, c, ch)
}

// planTogether plans the fix of each rule (YAML arguments of tmpl) into
// one change set on tg, rule IDs prefix.a, prefix.b, ..., and requires
// every rule to pass on the planned state.
func planTogether(t *testing.T, tg target.Target, prefix string, tmpl check.Template, rules ...string) *remedy.Changes {
	t.Helper()
	ch := remedy.New(tg)
	for i, r := range rules {
		fxPlan(t, ch, prefix+"."+string(rune('a'+i)), tmpl, r)
	}
	for _, r := range rules {
		if st := kcEval(t, tmpl, r, ch.Overlay()).Status; st != result.Pass {
			t.Errorf("%s: %s", r, st)
		}
	}
	return ch
}

// planned returns the planned content of name.
func planned(t *testing.T, ch *remedy.Changes, name string) string {
	t.Helper()
	b, err := ch.ReadFile(name)
	if err != nil {
		t.Fatalf("planned %s: %v", name, err)
	}
	return string(b)
}

// hasEffect reports whether an operation of ch records e.
func hasEffect(ch *remedy.Changes, e remedy.Effect) bool {
	return slices.Contains(fxEffects(ch), e)
}

// fxEffects lists the effects recorded on the plan's operations, once each.
func fxEffects(ch *remedy.Changes) []remedy.Effect {
	var out []remedy.Effect
	for _, op := range ch.Ops() {
		for _, e := range op.Effects {
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	return out
}

// openDir opens dir as an offline root filesystem.
func openDir(t *testing.T, dir string) target.Target {
	t.Helper()
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// broken is the debootstrap tree with every integration scenario's break
// script applied, built once per test binary by brokenTree.
var broken struct {
	once sync.Once
	tmp  string // parent directory, removed by TestMain
	dir  string
	err  error
}

// brokenTree opens the shared broken copy of the debootstrap tree, building
// it on first use (a copy takes seconds). Callers plan on overlays and must
// never write to it. Without CRADLE_TEST_ROOTFS or root (needed to copy
// ownership) the test is skipped, or fails when CRADLE_REQUIRE_FIXTURES=1.
func brokenTree(t *testing.T) target.Target {
	t.Helper()
	if testing.Short() {
		t.Skip("copies the fixture")
	}
	base := os.Getenv("CRADLE_TEST_ROOTFS")
	if base == "" || os.Geteuid() != 0 {
		if os.Getenv("CRADLE_REQUIRE_FIXTURES") == "1" {
			t.Fatal("needs CRADLE_TEST_ROOTFS and root")
		}
		t.Skip("needs CRADLE_TEST_ROOTFS and root to copy the tree")
	}
	broken.once.Do(func() { broken.tmp, broken.dir, broken.err = breakCopy(base) })
	if broken.err != nil {
		t.Fatal(broken.err)
	}
	return openDir(t, broken.dir)
}

// breakCopy copies base into a new temporary directory and runs every
// scenario's break script on the copy, in name order.
func breakCopy(base string) (tmp, dir string, err error) {
	tmp, err = os.MkdirTemp("", "cradle-checks-broken-")
	if err != nil {
		return "", "", err
	}
	dir = filepath.Join(tmp, "root")
	if out, err := exec.Command("cp", "-a", base, dir).CombinedOutput(); err != nil {
		return tmp, "", fmt.Errorf("copy fixture: %w: %s", err, out)
	}
	scripts, err := filepath.Glob(filepath.Join("..", "integration", "testdata", "scenarios", "*.break.sh"))
	if err != nil {
		return tmp, "", err
	}
	sort.Strings(scripts)
	for _, s := range scripts {
		if out, err := exec.Command("bash", s, dir).CombinedOutput(); err != nil {
			return tmp, "", fmt.Errorf("%s: %w: %s", s, err, out)
		}
	}
	return tmp, dir, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if broken.tmp != "" {
		os.RemoveAll(broken.tmp)
	}
	os.Exit(code)
}

// ruleCheck is a baseline rule with its check.
type ruleCheck struct {
	r *rules.Rule
	c check.Check
}

// baselineChecks instantiates, in baseline order, the rules of the
// built-in baseline that use one of templates.
func baselineChecks(t *testing.T, templates ...string) []ruleCheck {
	t.Helper()
	reg, err := Registry()
	if err != nil {
		t.Fatal(err)
	}
	set, _, err := baseline.Load(reg)
	if err != nil {
		t.Fatal(err)
	}
	var out []ruleCheck
	for _, r := range set.Rules {
		if !slices.Contains(templates, r.Template) {
			continue
		}
		c, err := r.Instantiate(reg, nil)
		if err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		out = append(out, ruleCheck{r, c})
	}
	return out
}
