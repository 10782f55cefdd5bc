package oval

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

type collection struct {
	flag  Flag
	items []Item
	msg   string
	notes []string
	// engines names the regex engines the collection used (object
	// patterns, filters, variables), kept for every test that reuses it.
	engines map[string]bool
}

func errCollection(format string, a ...any) *collection {
	return &collection{flag: FlagError, msg: fmt.Sprintf(format, a...)}
}

// object collects an object once per evaluation.
func (ev *Evaluator) object(ctx context.Context, id string, depth int) *collection {
	if c := ev.objects[id]; c != nil {
		if c.flag == "" {
			return errCollection("object %s refers to itself", id)
		}
		return c
	}
	if depth > ev.lim.MaxDepth {
		return errCollection("%v", errDepth)
	}
	ev.objects[id] = &collection{} // in progress
	saved := ev.engines
	ev.engines = map[string]bool{}
	c := ev.collectObject(ctx, id, depth)
	c.engines = ev.engines
	ev.engines = mergeSet(saved, c.engines)
	if c.flag == "" {
		c.flag = FlagComplete
		if len(c.items) == 0 {
			c.flag = FlagDoesNotExist
		}
	}
	ev.objects[id] = c
	return c
}

func (ev *Evaluator) collectObject(ctx context.Context, id string, depth int) *collection {
	od := ev.doc.Objects[id]
	if od == nil {
		return errCollection("no object %s", id)
	}
	if od.Set != nil {
		return ev.set(ctx, od.Set, depth+1)
	}
	if err := ctx.Err(); err != nil {
		return errCollection("%v", err)
	}
	ev.collects++
	if ev.collects > ev.lim.MaxCollects {
		return errCollection("more than %d object collections", ev.lim.MaxCollects)
	}
	obj := &Object{ID: od.ID, Type: od.Type, Namespace: od.Namespace, Behaviors: od.Behaviors}
	for _, e := range od.Entities {
		oe := ObjectEntity{Name: e.Name, Operation: e.Operation, Datatype: e.Datatype, VarCheck: e.VarCheck, VarRef: e.VarRef, Nil: e.Nil}
		if oe.VarCheck == "" {
			oe.VarCheck = CheckAll
		}
		if e.VarRef != "" {
			vals, err := ev.variable(ctx, e.VarRef, depth+1)
			var nc *notCollectedError
			if errors.As(err, &nc) {
				return &collection{flag: FlagNotCollected, msg: err.Error()}
			}
			if err != nil {
				return errCollection("object %s entity %s: %v", id, e.Name, err)
			}
			if len(vals) == 0 {
				return &collection{flag: FlagDoesNotExist, msg: fmt.Sprintf("variable %s has no values", e.VarRef)}
			}
			for _, v := range vals {
				oe.Values = append(oe.Values, v.Text)
			}
		} else if !e.Nil {
			oe.Values = []string{e.Text}
		}
		if oe.Operation == PatternMatch {
			for _, v := range oe.Values {
				if re, err := CompileRegex(v); err == nil {
					ev.engines[re.Engine] = true
				}
			}
		}
		obj.Entities = append(obj.Entities, oe)
	}
	if len(od.Filters) > 0 {
		seen := map[string]bool{}
		for _, f := range od.Filters {
			if sd := ev.doc.States[f.StateRef]; sd != nil {
				for _, e := range sd.Entities {
					if !seen[e.Name] {
						seen[e.Name] = true
						obj.KeepFields = append(obj.KeepFields, e.Name)
					}
				}
			}
		}
		memo := make([]stateMemo, len(od.Filters))
		obj.KeepFrom = func(it Fields) (bool, error) {
			for i, f := range od.Filters {
				r, msg := ev.stateCached(ctx, f.StateRef, it, depth+1, &memo[i])
				if r == Error {
					return false, fmt.Errorf("filter %s: %s", f.StateRef, msg)
				}
				if (r == True) != (f.Action == "include") {
					return false, nil
				}
			}
			return true, nil
		}
		obj.Keep = func(it Item) (bool, error) { return obj.KeepFrom(fieldMap(it.Fields)) }
	}
	var got Collected
	var err error
	p := ev.env.Probes[od.Type]
	switch {
	case p != nil:
		got, err = p.Collect(ctx, obj, &ev.env)
	case od.Type == "variable" && od.Namespace == "independent":
		got, err = ev.collectVariable(ctx, obj)
	default:
		err = NotImplemented(od.Type)
	}
	if err != nil {
		if errors.Is(err, ErrNotImplemented) {
			return &collection{flag: FlagError, msg: err.Error()}
		}
		return errCollection("%s_object %s: %v", od.Type, id, err)
	}
	c := ev.filter(ctx, &collection{flag: got.Flag, items: got.Items, msg: got.Message, notes: got.Notes}, od.Filters, depth)
	if len(c.items) > ev.lim.MaxItems {
		return errCollection("%s_object %s: more than %d items", od.Type, id, ev.lim.MaxItems)
	}
	return c
}

// objectRefs counts every reference to an object: tests, sets and
// object_components.
func objectRefs(doc *Document) map[string]int {
	refs := map[string]int{}
	for _, t := range doc.Tests {
		if t.ObjectRef != "" {
			refs[t.ObjectRef]++
		}
	}
	var inSet func(s *SetDef)
	inSet = func(s *SetDef) {
		for _, r := range s.ObjectRefs {
			refs[r]++
		}
		for _, sub := range s.Sets {
			inSet(sub)
		}
	}
	var inComp func(n *node)
	inComp = func(n *node) {
		if n.name == "object_component" {
			refs[n.attr("object_ref")]++
		}
		for _, k := range n.kids {
			inComp(k)
		}
	}
	for _, o := range doc.Objects {
		if o.Set != nil {
			inSet(o.Set)
		}
	}
	for _, v := range doc.Variables {
		if v.component != nil {
			inComp(v.component)
		}
	}
	return refs
}

// release drops a collection after its last consumer; a later request
// (none is expected) would collect it again.
func (ev *Evaluator) release(id string) {
	ev.refs[id]--
	if ev.refs[id] <= 0 {
		if c := ev.objects[id]; c != nil && c.flag != "" {
			delete(ev.objects, id)
		}
	}
}

// filter applies include/exclude filters in order.
func (ev *Evaluator) filter(ctx context.Context, c *collection, fs []Filter, depth int) *collection {
	if len(fs) == 0 || c.flag == FlagError {
		return c
	}
	items := c.items
	for _, f := range fs {
		var kept []Item
		for _, it := range items {
			r, msg := ev.state(ctx, f.StateRef, it, depth+1)
			if r == Error {
				return errCollection("filter %s: %s", f.StateRef, msg)
			}
			if (r == True) == (f.Action == "include") {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	out := *c
	out.items = items
	if out.flag == FlagComplete && len(items) == 0 {
		out.flag = FlagDoesNotExist
	}
	return &out
}

// set evaluates an object set (OVAL 5.11 set operations).
func (ev *Evaluator) set(ctx context.Context, s *SetDef, depth int) *collection {
	if depth > ev.lim.MaxDepth {
		return errCollection("%v", errDepth)
	}
	var parts []*collection
	for _, ref := range s.ObjectRefs {
		parts = append(parts, ev.filter(ctx, ev.object(ctx, ref, depth+1), s.Filters, depth))
		ev.release(ref)
	}
	for _, sub := range s.Sets {
		parts = append(parts, ev.set(ctx, sub, depth+1))
	}
	if len(parts) == 0 || len(parts) > 2 {
		return errCollection("set has %d operands, want 1 or 2", len(parts))
	}
	var notes []string
	for _, p := range parts {
		ev.engines = mergeSet(ev.engines, p.engines)
		if p.flag == FlagError {
			return p
		}
		notes = append(notes, p.notes...)
	}
	out := &collection{notes: notes}
	first := parts[0]
	switch strings.ToUpper(s.Operation) {
	case "COMPLEMENT":
		if len(parts) != 2 {
			return errCollection("COMPLEMENT needs two operands")
		}
		drop := itemKeys(parts[1].items)
		for _, it := range first.items {
			if !drop[itemKey(it)] {
				out.items = append(out.items, it)
			}
		}
		out.flag = setFlag(first.flag, parts[1].flag, out.items)
	case "INTERSECTION":
		out.items = first.items
		flag := first.flag
		if len(parts) == 2 {
			keep := itemKeys(parts[1].items)
			out.items = nil
			for _, it := range first.items {
				if keep[itemKey(it)] {
					out.items = append(out.items, it)
				}
			}
			flag = setFlag(first.flag, parts[1].flag, out.items)
		}
		out.flag = flag
	default: // UNION
		seen := map[string]bool{}
		flag := first.flag
		for i, p := range parts {
			if i > 0 {
				flag = setFlag(flag, p.flag, nil)
			}
			for _, it := range p.items {
				if k := itemKey(it); !seen[k] {
					seen[k] = true
					out.items = append(out.items, it)
				}
			}
		}
		out.flag = setFlag(flag, flag, out.items)
	}
	if len(out.items) > ev.lim.MaxItems {
		return errCollection("set: more than %d items", ev.lim.MaxItems)
	}
	return out
}

// setFlag combines operand flags: a flag that leaves results uncertain
// wins; otherwise the set is complete or empty by its items.
func setFlag(a, b Flag, items []Item) Flag {
	for _, f := range []Flag{FlagNotCollected, FlagNotApplicable, FlagIncomplete} {
		if a == f || b == f {
			return f
		}
	}
	if len(items) == 0 {
		return FlagDoesNotExist
	}
	return FlagComplete
}

func itemKeys(items []Item) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[itemKey(it)] = true
	}
	return m
}

// itemKey identifies an item by its fields, so the same system object
// collected through two objects counts once.
func itemKey(it Item) string {
	names := make([]string, 0, len(it.Fields))
	for n := range it.Fields {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(string(it.Status))
	for _, n := range names {
		b.WriteString("\x00" + n)
		for _, v := range it.Fields[n] {
			b.WriteString("\x01" + v.Text)
		}
	}
	return b.String()
}

// collectVariable is the independent variable_object probe: one item per
// matching variable with its values.
func (ev *Evaluator) collectVariable(ctx context.Context, obj *Object) (Collected, error) {
	e := obj.Entity("var_ref")
	if e == nil {
		return Collected{}, errors.New("variable_object without var_ref")
	}
	var out Collected
	for _, id := range sortedKeys(ev.doc.Variables) {
		ok, err := e.Match(id)
		if err != nil {
			return Collected{}, err
		}
		if !ok {
			continue
		}
		vals, err := ev.variable(ctx, id, 1)
		if err != nil {
			return Collected{}, err
		}
		out.Items = append(out.Items, Item{Fields: map[string][]Value{"var_ref": {Str(id)}, "value": vals}})
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
