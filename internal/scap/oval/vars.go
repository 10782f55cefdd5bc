package oval

import (
	"context"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

type varMemo struct {
	done bool
	vals []Value
	err  error
}

// now is the clock time_difference uses; tests replace it.
var now = time.Now

// variable resolves a variable's values once per evaluation.
func (ev *Evaluator) variable(ctx context.Context, id string, depth int) ([]Value, error) {
	if m := ev.vars[id]; m != nil {
		if !m.done {
			return nil, fmt.Errorf("variable %s refers to itself", id)
		}
		return m.vals, m.err
	}
	if depth > ev.lim.MaxDepth {
		return nil, errDepth
	}
	m := &varMemo{}
	ev.vars[id] = m
	m.vals, m.err = ev.resolveVariable(ctx, id, depth)
	if m.err != nil {
		m.vals = nil
	}
	m.done = true
	return m.vals, m.err
}

func (ev *Evaluator) resolveVariable(ctx context.Context, id string, depth int) ([]Value, error) {
	vd := ev.doc.Variables[id]
	if vd == nil {
		return nil, fmt.Errorf("no variable %s", id)
	}
	switch vd.Kind {
	case "constant":
		return typed(vd.Datatype, vd.Values), nil
	case "external":
		raw, ok := ev.env.External[id]
		if !ok {
			return nil, fmt.Errorf("external variable %s has no value (not exported by the checklist)", id)
		}
		for _, v := range raw {
			if err := checkPossible(vd, v); err != nil {
				return nil, fmt.Errorf("external variable %s: %w", id, err)
			}
		}
		return typed(vd.Datatype, raw), nil
	case "local":
		if vd.component == nil {
			return nil, fmt.Errorf("local variable %s has no component", id)
		}
		vals, err := ev.component(ctx, vd.component, depth+1)
		if err != nil {
			return nil, fmt.Errorf("local variable %s: %w", id, err)
		}
		for i := range vals {
			vals[i].Datatype = vd.Datatype
		}
		return vals, nil
	}
	return nil, fmt.Errorf("variable %s: unknown kind %q", id, vd.Kind)
}

func typed(dt Datatype, texts []string) []Value {
	out := make([]Value, len(texts))
	for i, t := range texts {
		out[i] = Value{Datatype: dt, Text: t}
	}
	return out
}

// checkPossible enforces an external variable's possible_value and
// possible_restriction: a value must satisfy at least one when any exist.
func checkPossible(vd *VariableDef, v string) error {
	if len(vd.PossibleValues) == 0 && len(vd.PossibleRestrictions) == 0 {
		return nil
	}
	for _, pv := range vd.PossibleValues {
		if ok, err := MatchEntity(Equals, vd.Datatype, pv, v); err == nil && ok {
			return nil
		}
	}
	for _, pr := range vd.PossibleRestrictions {
		var rs []ResultValue
		for _, r := range pr.Restrictions {
			ok, err := MatchEntity(r.Operation, vd.Datatype, r.Text, v)
			if err != nil {
				rs = append(rs, Error)
				continue
			}
			rs = append(rs, boolResult(ok))
		}
		if combineOperator(pr.Operator, rs) == True {
			return nil
		}
	}
	return fmt.Errorf("value %q is outside its possible values and restrictions", v)
}

func (ev *Evaluator) limitValues(vals []Value) ([]Value, error) {
	if len(vals) > ev.lim.MaxValues {
		return nil, fmt.Errorf("more than %d values", ev.lim.MaxValues)
	}
	return vals, nil
}

// components evaluates every child component of n.
func (ev *Evaluator) components(ctx context.Context, n *node, depth int) ([][]Value, error) {
	var out [][]Value
	for _, k := range n.kids {
		v, err := ev.component(ctx, k, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// component evaluates one OVAL 5.11 component or function.
func (ev *Evaluator) component(ctx context.Context, n *node, depth int) ([]Value, error) {
	if depth > ev.lim.MaxDepth {
		return nil, errDepth
	}
	switch n.name {
	case "literal_component":
		dt := Datatype(n.attr("datatype"))
		if dt == "" {
			dt = String
		}
		return []Value{{Datatype: dt, Text: n.text}}, nil
	case "variable_component":
		vals, err := ev.variable(ctx, n.attr("var_ref"), depth+1)
		return append([]Value(nil), vals...), err
	case "object_component":
		return ev.objectComponent(ctx, n, depth)
	}
	args, err := ev.components(ctx, n, depth)
	if err != nil {
		return nil, err
	}
	var out []Value
	switch n.name {
	case "concat":
		out, err = cartesian(args, ev.lim.MaxValues, func(parts []Value) (Value, error) {
			var b strings.Builder
			for _, p := range parts {
				b.WriteString(p.Text)
			}
			return Str(b.String()), nil
		})
	case "arithmetic":
		out, err = cartesian(args, ev.lim.MaxValues, arithmetic(n.attr("arithmetic_operation")))
	case "count":
		total := 0
		for _, a := range args {
			total += len(a)
		}
		out = []Value{{Datatype: Int, Text: strconv.Itoa(total)}}
	case "unique":
		seen := map[string]bool{}
		for _, v := range flatten(args) {
			if !seen[v.Text] {
				seen[v.Text] = true
				out = append(out, v)
			}
		}
	case "time_difference":
		out, err = timeDifference(n, args, ev.lim.MaxValues)
	default:
		out, err = perValue(n, flatten(args))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n.name, err)
	}
	return ev.limitValues(out)
}

func flatten(args [][]Value) []Value {
	var out []Value
	for _, a := range args {
		out = append(out, a...)
	}
	return out
}

// perValue applies the functions that map each input value on its own.
func perValue(n *node, in []Value) ([]Value, error) {
	var out []Value
	for _, v := range in {
		s := v.Text
		switch n.name {
		case "begin":
			c := n.attr("character")
			if !strings.HasPrefix(s, c) {
				s = c + s
			}
			out = append(out, Str(s))
		case "end":
			c := n.attr("character")
			if !strings.HasSuffix(s, c) {
				s += c
			}
			out = append(out, Str(s))
		case "escape_regex":
			out = append(out, Str(regexp.QuoteMeta(s)))
		case "split":
			for _, p := range strings.Split(s, n.attr("delimiter")) {
				out = append(out, Str(p))
			}
		case "substring":
			sub, err := substring(s, n.attr("substring_start"), n.attr("substring_length"))
			if err != nil {
				return nil, err
			}
			out = append(out, Str(sub))
		case "regex_capture":
			re, err := CompileRegex(n.attr("pattern"))
			if err != nil {
				return nil, err
			}
			m, err := re.FindSubmatch(s)
			if err != nil {
				return nil, err
			}
			// No match, or no group, gives an empty string (OVAL 5.11).
			capt := ""
			if len(m) > 1 {
				capt = m[1]
			}
			out = append(out, Str(capt))
		case "glob_to_regex":
			r, err := globToRegex(s, isTrue(n.attr("glob_noescape")))
			if err != nil {
				return nil, err
			}
			out = append(out, Str(r))
		default:
			return nil, fmt.Errorf("function %s is not supported", n.name)
		}
	}
	if len(in) == 0 {
		switch n.name {
		case "begin", "end", "escape_regex", "split", "substring", "regex_capture", "glob_to_regex":
		default:
			return nil, fmt.Errorf("function %s is not supported", n.name)
		}
	}
	return out, nil
}

// substring takes OVAL's 1-based start and a length (-1 or too long: to
// the end).
func substring(s, startAttr, lenAttr string) (string, error) {
	start, err := strconv.Atoi(strings.TrimSpace(startAttr))
	if err != nil {
		return "", fmt.Errorf("substring_start %q: %w", startAttr, err)
	}
	length, err := strconv.Atoi(strings.TrimSpace(lenAttr))
	if err != nil {
		return "", fmt.Errorf("substring_length %q: %w", lenAttr, err)
	}
	r := []rune(s)
	if start < 1 {
		start = 1
	}
	if start > len(r) {
		return "", nil
	}
	end := len(r)
	if length >= 0 && start-1+length < end {
		end = start - 1 + length
	}
	return string(r[start-1 : end]), nil
}

// cartesian applies f to every combination of one value per argument, as
// concat and arithmetic require for multi-valued inputs.
func cartesian(args [][]Value, max int, f func([]Value) (Value, error)) ([]Value, error) {
	total := 1
	for _, a := range args {
		if len(a) == 0 {
			return nil, nil
		}
		total *= len(a)
		if total > max {
			return nil, fmt.Errorf("more than %d value combinations", max)
		}
	}
	out := make([]Value, 0, total)
	idx := make([]int, len(args))
	parts := make([]Value, len(args))
	for {
		for i, a := range args {
			parts[i] = a[idx[i]]
		}
		v, err := f(parts)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		i := len(args) - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(args[i]) {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return out, nil
		}
	}
}

func arithmetic(op string) func([]Value) (Value, error) {
	return func(parts []Value) (Value, error) {
		isFloat := false
		for _, p := range parts {
			if p.Datatype == Float || strings.ContainsAny(p.Text, ".eE") {
				isFloat = true
			}
		}
		if isFloat {
			acc := 0.0
			if op == "multiply" {
				acc = 1
			}
			for _, p := range parts {
				f, err := strconv.ParseFloat(strings.TrimSpace(p.Text), 64)
				if err != nil {
					return Value{}, fmt.Errorf("%q is not a number", p.Text)
				}
				if op == "multiply" {
					acc *= f
				} else {
					acc += f
				}
			}
			return Value{Datatype: Float, Text: strconv.FormatFloat(acc, 'f', -1, 64)}, nil
		}
		acc := big.NewInt(0)
		if op == "multiply" {
			acc.SetInt64(1)
		}
		for _, p := range parts {
			x, err := parseInt(p.Text)
			if err != nil {
				return Value{}, err
			}
			if op == "multiply" {
				acc.Mul(acc, x)
			} else {
				acc.Add(acc, x)
			}
			if acc.BitLen() > 4096 {
				return Value{}, fmt.Errorf("result too large")
			}
		}
		if op != "multiply" && op != "add" {
			return Value{}, fmt.Errorf("arithmetic_operation %q is not add or multiply", op)
		}
		return Value{Datatype: Int, Text: acc.String()}, nil
	}
}
