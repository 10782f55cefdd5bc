package probes

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target"
)

// ent builds an object entity: ent("name", "value"), or with an
// operation: ent("name", "pattern match", "^a").
func ent(name string, args ...string) oval.ObjectEntity {
	if len(args) == 2 {
		return oval.ObjectEntity{Name: name, Operation: oval.Operation(args[0]), Values: []string{args[1]}}
	}
	return oval.ObjectEntity{Name: name, Operation: oval.Equals, Values: args}
}

func nilEnt(name string) oval.ObjectEntity { return oval.ObjectEntity{Name: name, Nil: true} }

func object(typ string, behaviors map[string]string, ents ...oval.ObjectEntity) *oval.Object {
	return &oval.Object{ID: "oval:test:obj:1", Type: typ, Entities: ents, Behaviors: behaviors}
}

// collect runs the registry's probe for obj against tg.
func collect(t *testing.T, tg target.Target, obj *oval.Object) oval.Collected {
	t.Helper()
	p, ok := Default()[obj.Type]
	if !ok {
		t.Fatalf("no probe for %s", obj.Type)
	}
	c, err := p.Collect(context.Background(), obj, &oval.Env{Target: tg})
	if err != nil {
		t.Fatalf("collect %s: %v", obj.Type, err)
	}
	return c
}

// field renders one field of every item, sorted: "a|b" for several values.
func field(c oval.Collected, name string) []string {
	var out []string
	for _, it := range c.Items {
		var vs []string
		for _, v := range it.Fields[name] {
			vs = append(vs, v.Text)
		}
		out = append(out, strings.Join(vs, "|"))
	}
	sort.Strings(out)
	return out
}

func equal(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}
