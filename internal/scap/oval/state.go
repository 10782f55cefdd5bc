package oval

import (
	"context"
	"fmt"
)

// state compares one item with a state: each state entity against the
// item's fields of that name (entity_check over the item's values, var_check
// over the variable's values), combined with the state's operator.
func (ev *Evaluator) state(ctx context.Context, id string, it Item, depth int) (ResultValue, string) {
	return ev.stateFrom(ctx, id, fieldMap(it.Fields), depth)
}

// Fields gives an item's values by field name (nil when it has none). A
// probe that searches whole trees implements it over its own data, so a
// filter computes only the fields its states test, and only for the
// states it reaches.
type Fields interface {
	Field(name string) []Value
}

type fieldMap map[string][]Value

func (m fieldMap) Field(name string) []Value { return m[name] }

// stateFrom is state over any field source.
func (ev *Evaluator) stateFrom(ctx context.Context, id string, it Fields, depth int) (ResultValue, string) {
	sd := ev.doc.States[id]
	if sd == nil {
		return Error, fmt.Sprintf("no state %s", id)
	}
	op := sd.Operator
	if op == "" {
		op = OpAND
	}
	var rs []ResultValue
	msg := ""
	for _, e := range sd.Entities {
		r, m := ev.stateEntity(ctx, e, it.Field(e.Name), depth)
		if m != "" && msg == "" {
			msg = fmt.Sprintf("state %s %s: %s", id, e.Name, m)
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return True, ""
	}
	return combineOperator(op, rs), msg
}

func (ev *Evaluator) stateEntity(ctx context.Context, e EntityDef, got []Value, depth int) (ResultValue, string) {
	if len(got) == 0 {
		// The item lacks the entity: it cannot satisfy the state.
		return False, ""
	}
	wants := []string{e.Text}
	if e.VarRef != "" {
		vals, err := ev.variable(ctx, e.VarRef, depth+1)
		if err != nil {
			return Error, err.Error()
		}
		if len(vals) == 0 {
			return Error, fmt.Sprintf("variable %s has no values", e.VarRef)
		}
		wants = wants[:0]
		for _, v := range vals {
			wants = append(wants, v.Text)
		}
	}
	if e.Operation == PatternMatch {
		for _, w := range wants {
			if re, err := CompileRegex(w); err == nil {
				ev.engines[re.Engine] = true
			}
		}
	}
	var perValue []ResultValue
	msg := ""
	for _, g := range got {
		var r ResultValue
		if e.Datatype == Record {
			r, msg = ev.recordMatch(e, g)
		} else {
			var vr []ResultValue
			for _, w := range wants {
				ok, err := MatchEntity(e.Operation, e.Datatype, w, g.Text)
				if err != nil {
					vr = append(vr, Error)
					msg = err.Error()
					continue
				}
				vr = append(vr, boolResult(ok))
			}
			r = combineCheck(orAll(e.VarCheck), vr)
		}
		perValue = append(perValue, r)
	}
	return combineCheck(orAll(e.EntityCheck), perValue), msg
}

func (ev *Evaluator) recordMatch(e EntityDef, g Value) (ResultValue, string) {
	var rs []ResultValue
	msg := ""
	for _, f := range e.Fields {
		v, ok := g.Record[f.Name]
		if !ok {
			rs = append(rs, False)
			continue
		}
		m, err := MatchEntity(f.Operation, f.Datatype, f.Text, v.Text)
		if err != nil {
			rs = append(rs, Error)
			msg = err.Error()
			continue
		}
		rs = append(rs, boolResult(m))
	}
	return combineCheck(CheckAll, rs), msg
}

func orAll(c Check) Check {
	if c == "" {
		return CheckAll
	}
	return c
}

// stateMemo caches a filter state's results by the values of the fields
// it tests: over a walk of / the first filter of an object sees a million
// items but only a handful of distinct (type, owrite) or (suid, sgid)
// tuples. A state's result depends on nothing else within one evaluation
// (variables keep their values), so the cached answer is the computed one.
// Distinct keys are bounded; past the bound states are computed.
type stateMemo struct {
	res map[string]memoResult
	key []byte
}

type memoResult struct {
	r   ResultValue
	msg string
}

const maxStateMemo = 4096

func (ev *Evaluator) stateCached(ctx context.Context, id string, it Fields, depth int, m *stateMemo) (ResultValue, string) {
	sd := ev.doc.States[id]
	if sd == nil {
		return ev.stateFrom(ctx, id, it, depth)
	}
	m.key = m.key[:0]
	for _, e := range sd.Entities {
		if e.Datatype == Record {
			return ev.stateFrom(ctx, id, it, depth)
		}
		for _, v := range it.Field(e.Name) {
			if v.Record != nil {
				return ev.stateFrom(ctx, id, it, depth)
			}
			m.key = append(m.key, v.Datatype...)
			m.key = append(m.key, 0)
			m.key = append(m.key, v.Text...)
			m.key = append(m.key, 0)
		}
		m.key = append(m.key, 1)
	}
	if c, ok := m.res[string(m.key)]; ok {
		return c.r, c.msg
	}
	r, msg := ev.stateFrom(ctx, id, it, depth)
	if m.res == nil {
		m.res = map[string]memoResult{}
	}
	if len(m.res) < maxStateMemo {
		m.res[string(m.key)] = memoResult{r, msg}
	}
	return r, msg
}
