package oval

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Result is a definition's evaluation.
type Result struct {
	Value   ResultValue
	Message string
	// Tests holds the evidence of every test the definition reached.
	Tests []TestEvidence
	// RegexEngines names the regular-expression engines that ran.
	RegexEngines []string
}

// TestEvidence records one test's outcome.
type TestEvidence struct {
	ID, Type, ObjectID string
	Result             ResultValue
	Flag               Flag
	Items              int
	Message            string
	Notes              []string
}

// Evaluator evaluates definitions of one document against one Env,
// memoising every object, state-free test, variable and definition.
type Evaluator struct {
	doc *Document
	env Env
	lim Limits

	mu       sync.Mutex
	defs     map[string]*defMemo
	tests    map[string]*TestEvidence
	objects  map[string]*collection
	vars     map[string]*varMemo
	collects int
	engines  map[string]bool
}

type defMemo struct {
	done  bool
	value ResultValue
	msg   string
	tests []string
}

// NewEvaluator prepares an evaluation.
func NewEvaluator(doc *Document, env Env) *Evaluator {
	lim := env.Limits
	if lim.MaxItems <= 0 {
		lim.MaxItems = 100000
	}
	if lim.MaxValues <= 0 {
		lim.MaxValues = 100000
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = 64
	}
	if lim.MaxCollects <= 0 {
		lim.MaxCollects = 100000
	}
	ev := &Evaluator{doc: doc, env: env, lim: lim, defs: map[string]*defMemo{}, tests: map[string]*TestEvidence{},
		objects: map[string]*collection{}, vars: map[string]*varMemo{}, engines: map[string]bool{}}
	return ev
}

// errDepth reports content nested beyond Limits.MaxDepth (or cyclic).
var errDepth = errors.New("OVAL content nests too deeply or refers to itself")

// Definition evaluates the definition with id. The error is non-nil only
// when the id is unknown or ctx ends; content problems become an error
// Result with a Message.
func (ev *Evaluator) Definition(ctx context.Context, id string) (Result, error) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if ev.doc.Definitions[id] == nil {
		return Result{}, fmt.Errorf("oval: no definition %q", id)
	}
	ev.env.variables = func(ctx context.Context, vid string) ([]Value, error) { return ev.variable(ctx, vid, 0) }
	r, msg := ev.definition(ctx, id, 0)
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	res := Result{Value: r, Message: msg}
	seen := map[string]bool{}
	ev.gatherTests(id, seen, &res)
	for e := range ev.engines {
		res.RegexEngines = append(res.RegexEngines, e)
	}
	sort.Strings(res.RegexEngines)
	return res, nil
}

func (ev *Evaluator) gatherTests(defID string, seen map[string]bool, res *Result) {
	m := ev.defs[defID]
	if m == nil || seen["d:"+defID] {
		return
	}
	seen["d:"+defID] = true
	for _, t := range m.tests {
		if len(t) > 2 && t[:2] == "d:" {
			ev.gatherTests(t[2:], seen, res)
			continue
		}
		if !seen[t] {
			seen[t] = true
			if te := ev.tests[t]; te != nil {
				res.Tests = append(res.Tests, *te)
			}
		}
	}
}

func (ev *Evaluator) definition(ctx context.Context, id string, depth int) (ResultValue, string) {
	if m := ev.defs[id]; m != nil {
		if !m.done {
			return Error, fmt.Sprintf("definition %s extends itself", id)
		}
		return m.value, m.msg
	}
	def := ev.doc.Definitions[id]
	if def == nil {
		return Error, fmt.Sprintf("no definition %s", id)
	}
	m := &defMemo{}
	ev.defs[id] = m
	if def.Criteria == nil {
		m.value, m.msg = NotEvaluated, fmt.Sprintf("definition %s has no criteria", id)
	} else {
		m.value, m.msg = ev.criteria(ctx, def.Criteria, m, depth+1)
	}
	m.done = true
	return m.value, m.msg
}

func (ev *Evaluator) criteria(ctx context.Context, c *Criteria, m *defMemo, depth int) (ResultValue, string) {
	if depth > ev.lim.MaxDepth {
		return Error, errDepth.Error()
	}
	var rs []ResultValue
	var msgs []string
	for _, k := range c.Children {
		var r ResultValue
		var msg string
		switch {
		case k.Criteria != nil:
			r, msg = ev.criteria(ctx, k.Criteria, m, depth+1)
		case k.TestRef != "":
			m.tests = append(m.tests, k.TestRef)
			te := ev.test(ctx, k.TestRef, depth+1)
			r, msg = te.Result, te.Message
			if msg != "" {
				msg = k.TestRef + ": " + msg
			}
		case k.DefinitionRef != "":
			m.tests = append(m.tests, "d:"+k.DefinitionRef)
			r, msg = ev.definition(ctx, k.DefinitionRef, depth+1)
		}
		r = negate(r, k.Negate)
		rs = append(rs, r)
		if msg != "" && (r == Error || r == Unknown) {
			msgs = append(msgs, msg)
		}
	}
	r := negate(combineOperator(c.Operator, rs), c.Negate)
	msg := ""
	if len(msgs) > 0 && (r == Error || r == Unknown) {
		msg = msgs[0]
	}
	return r, msg
}

func (ev *Evaluator) test(ctx context.Context, id string, depth int) *TestEvidence {
	if te := ev.tests[id]; te != nil {
		return te
	}
	te := &TestEvidence{ID: id}
	ev.tests[id] = te
	t := ev.doc.Tests[id]
	if t == nil {
		te.Result, te.Message = Error, "no such test"
		return te
	}
	te.Type, te.ObjectID = t.Type, t.ObjectRef
	te.Result, te.Message = ev.evalTest(ctx, t, te, depth)
	return te
}

func (ev *Evaluator) evalTest(ctx context.Context, t *Test, te *TestEvidence, depth int) (ResultValue, string) {
	if t.Type == "unknown" {
		return Unknown, "unknown_test"
	}
	if t.ObjectRef == "" {
		return Error, fmt.Sprintf("%s_test has no object", t.Type)
	}
	col := ev.object(ctx, t.ObjectRef, depth+1)
	te.Flag, te.Items, te.Notes = col.flag, len(col.items), col.notes
	switch col.flag {
	case FlagError:
		return Error, col.msg
	case FlagNotCollected:
		return Unknown, col.msg
	case FlagNotApplicable:
		return NotApplicable, col.msg
	}
	var exists, dne, errs, nc int
	for _, it := range col.items {
		switch it.Status {
		case "", StatusExists:
			exists++
		case StatusDoesNotExist:
			dne++
		case StatusError:
			errs++
		default:
			nc++
		}
	}
	ex := existence(t.CheckExistence, exists, dne, errs, nc)
	r := ex
	if ex == True && len(t.StateRefs) > 0 {
		var rs []ResultValue
		stateMsg := ""
		for _, it := range col.items {
			if it.Status != "" && it.Status != StatusExists {
				continue
			}
			var srs []ResultValue
			for _, sid := range t.StateRefs {
				sr, msg := ev.state(ctx, sid, it, depth+1)
				if msg != "" && stateMsg == "" {
					stateMsg = msg
				}
				srs = append(srs, sr)
			}
			rs = append(rs, combineOperator(t.StateOperator, srs))
		}
		r = combineCheck(t.Check, rs)
		if r == Error && stateMsg != "" {
			return r, stateMsg
		}
	}
	if col.flag == FlagIncomplete && r != Error {
		// Missing items could change any verdict that needs all of them.
		decided := (r == True && t.CheckExistence == AtLeastOneExists && len(t.StateRefs) == 0) ||
			(r == False && (t.CheckExistence == NoneExist || t.Check == CheckAll))
		if !decided {
			return Unknown, "object collection incomplete: " + col.msg
		}
	}
	if r == Error && col.msg != "" {
		return r, col.msg
	}
	return r, ""
}
