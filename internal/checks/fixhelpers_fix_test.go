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

// newCheck builds a check from YAML arguments.
func newCheck(t *testing.T, tmpl check.Template, args string) check.Check {
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

// remediate plans c's fix on ch (the current rule), reading facts of the
// unchanged target.
func remediate(t *testing.T, c check.Check, ch *remedy.Changes) {
	t.Helper()
	ctx := context.Background()
	if err := c.(check.Remediator).Remediate(ctx, facts.NewStore(ctx, ch.Target()), ch); err != nil {
		t.Fatalf("Remediate: %v", err)
	}
}

// status evaluates c on tg.
func status(c check.Check, tg target.Target) check.Outcome {
	ctx := context.Background()
	return c.Evaluate(ctx, facts.NewStore(ctx, tg))
}

var _ = result.Pass

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
