package checks

import (
	"context"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// fixRoundTrip builds a check from YAML arguments, requires it to fail on
// tg, plans its fix, and requires the check to pass on the planned state
// (unless every operation is deferred) and a second plan on that state to
// be empty. It returns the change set for further assertions.
func fixRoundTrip(t *testing.T, tmpl check.Template, args string, tg target.Target) *remedy.Changes {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(args), &doc); err != nil {
		t.Fatal(err)
	}
	c, err := tmpl.New(doc.Content[0])
	if err != nil {
		t.Fatalf("New(%s): %v", args, err)
	}
	ctx := context.Background()
	if o := c.Evaluate(ctx, facts.NewStore(ctx, tg)); o.Status != result.Fail {
		t.Fatalf("before fix: status %s, want fail (%s)", o.Status, o.Reason)
	}
	rem, ok := c.(check.Remediator)
	if !ok {
		t.Fatalf("%T does not implement check.Remediator", c)
	}
	ch := remedy.New(tg)
	ch.Begin("test.rule", remedy.Meta{})
	if err := rem.Remediate(ctx, facts.NewStore(ctx, tg), ch); err != nil {
		t.Fatalf("Remediate: %v", err)
	}
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
