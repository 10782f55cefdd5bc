package checks

import (
	"context"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// fxCheck builds a check from YAML arguments.
func fxCheck(t *testing.T, tmpl check.Template, args string) check.Check {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(args), &doc); err != nil {
		t.Fatal(err)
	}
	c, err := tmpl.New(doc.Content[0])
	if err != nil {
		t.Fatalf("New(%s): %v", args, err)
	}
	return c
}

// fxPlan plans the fix of one rule into ch when its check fails on the
// planned state, as cradle fix plans several rules into one change set.
func fxPlan(t *testing.T, ch *remedy.Changes, id string, tmpl check.Template, args string) {
	t.Helper()
	c := fxCheck(t, tmpl, args)
	ctx := context.Background()
	if o := c.Evaluate(ctx, facts.NewStore(ctx, ch.Overlay())); o.Status != result.Fail {
		return
	}
	ch.Begin(id, remedy.Meta{})
	if err := c.(check.Remediator).Remediate(ctx, facts.NewStore(ctx, ch.Target()), ch); err != nil {
		t.Fatalf("%s: Remediate: %v", id, err)
	}
}

// fxStatus evaluates a check on tg.
func fxStatus(t *testing.T, tmpl check.Template, args string, tg target.Target) result.Status {
	t.Helper()
	ctx := context.Background()
	o := fxCheck(t, tmpl, args).Evaluate(ctx, facts.NewStore(ctx, tg))
	return o.Status
}

// fxRead returns the planned content of name.
func fxRead(t *testing.T, ch *remedy.Changes, name string) string {
	t.Helper()
	b, err := ch.ReadFile(name)
	if err != nil {
		t.Fatalf("planned %s: %v", name, err)
	}
	return string(b)
}

// fxContains fails unless s contains every want.
func fxContains(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

// fxLacks fails if s contains any of bad.
func fxLacks(t *testing.T, what, s string, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(s, w) {
			t.Errorf("%s has %q:\n%s", what, w, s)
		}
	}
}

// fxPaths lists the paths the plan writes, in Final order.
func fxPaths(ch *remedy.Changes) []string {
	var out []string
	for _, pc := range ch.Final() {
		if pc.Action == remedy.ActWrite {
			out = append(out, "/"+pc.Path)
		}
	}
	return out
}

// fxEffects lists the effects recorded on the plan's operations.
func fxEffects(ch *remedy.Changes) []remedy.Effect {
	var out []remedy.Effect
	for _, op := range ch.Ops() {
		for _, e := range op.Effects {
			dup := false
			for _, x := range out {
				dup = dup || x == e
			}
			if !dup {
				out = append(out, e)
			}
		}
	}
	return out
}

func fxHasEffect(t *testing.T, ch *remedy.Changes, want remedy.Effect) {
	t.Helper()
	for _, e := range fxEffects(ch) {
		if e == want {
			return
		}
	}
	t.Errorf("no effect %+v in %+v", want, fxEffects(ch))
}

func fxTree(t *testing.T, files ...map[string]string) target.Target {
	t.Helper()
	return targettest.Tree(t, fxMerge(files...))
}

func fxMerge(files ...map[string]string) map[string]string {
	m := map[string]string{}
	for _, f := range files {
		for k, v := range f {
			if v == "" {
				delete(m, k)
				continue
			}
			m[k] = v
		}
	}
	return m
}

func TestFixCommentOutAndNeutralise(t *testing.T) {
	tg := fxTree(t, map[string]string{
		"etc/sysctl.d/10-a.conf":     "a = 1\nb = 2\n",
		"usr/lib/sysctl.d/50-v.conf": "# vendor\nc = 3\nd = 4\n",
	})
	ch := remedy.New(tg)
	ch.Begin("r", remedy.Meta{})
	if err := fixNeutralise(ch, "/etc/sysctl.d/10-a.conf", []int{2}, "etc/sysctl.d", "x"); err != nil {
		t.Fatal(err)
	}
	if err := fixNeutralise(ch, "/usr/lib/sysctl.d/50-v.conf", []int{3}, "etc/sysctl.d", "y"); err != nil {
		t.Fatal(err)
	}
	if got := fxRead(t, ch, "etc/sysctl.d/10-a.conf"); got != "a = 1\n#cradle: b = 2\n" {
		t.Errorf("in place: %q", got)
	}
	got := fxRead(t, ch, "etc/sysctl.d/50-v.conf")
	fxContains(t, "mask", got, "# vendor\nc = 3\n#cradle: d = 4\n", "masks it")
	if fxRead(t, ch, "usr/lib/sysctl.d/50-v.conf") != "# vendor\nc = 3\nd = 4\n" {
		t.Error("vendor file changed")
	}
}
