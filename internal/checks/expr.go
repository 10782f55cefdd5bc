package checks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// exprTemplate is the escape hatch for conditions no typed template
// covers: a CEL expression over collected facts that must be true.
//
//	expr:
//	  expr: '!accounts.by_name.root.password_usable || file_exists("/etc/ssh/sshd_not_to_be_run")'
//	  applies: sshd.installed    # optional: not_applicable when false
//	  facts: [accounts, sshd]    # optional: the only facts the expressions may use
//	  message: root must not have a usable password unless sshd is disabled
//
// Variables (the fact catalogue, FactSources; docs/facts.md): target (kind, name, live), os, accounts, sshd, systemd, packages,
// sysctl, mounts, pam, modprobe, pkgtrust, sudoers, limits, auditrules,
// rsyslog, and the runtime facts netsock and kmodloaded (not_applicable
// without runtime state), each collected only when the expression
// references it. Functions,
// all reading through the target and bounded:
//
//	file(path) string        content (at most 1 MiB); error when missing or a
//	                         directory; "" for devices, FIFOs and sockets
//	file_exists(path) bool   the path exists (a dangling symlink counts)
//	file_mode(path) int      permission bits incl. setuid/setgid/sticky; -1 when missing
//	glob(pattern) list       absolute paths matching a pattern with * ? [] per component
//
// plus CEL's standard library and the strings extension. The expression is
// compiled when the rule loads: syntax and type errors are load errors.
// Evaluation is bounded by a cost limit, a file-access budget and the scan
// context; a result that is not a bool, or any evaluation error, is an
// error outcome. Evidence shows the expression, its result, and the value
// of every fact path (os.id, accounts.by_name.root.locked) and file
// function call with literal arguments that was evaluated.
type exprTemplate struct{}

type exprArgs struct {
	Expr    string   `yaml:"expr"`
	Applies string   `yaml:"applies"`
	Facts   []string `yaml:"facts"`
	Message string   `yaml:"message"`
}

const (
	maxExprLen       = 8 << 10
	exprCostLimit    = 1_000_000
	exprMaxFileCalls = 5000
	exprMaxFileBytes = 32 << 20
	exprMaxFileSize  = 1 << 20
	exprMaxGlob      = 1000
	exprMaxValueLen  = 300
	exprMaxTerms     = 20
)

var exprFuncNames = []string{"file", "file_exists", "file_mode", "glob"}

type exprCheck struct {
	src, message string
	applySrc     string
	prog         cel.Program
	applies      cel.Program // nil: always applies
	refs         []string    // referenced facts, sorted
	terms        []exprTerm

	mu sync.Mutex // one evaluation at a time: st is shared with the bindings
	st *exprState
}

// exprTerm is a sub-expression whose value goes into the evidence: a
// path into a fact (root plus keys) or a file function with a literal
// argument. Its value is recomputed after evaluation, because cel-go's
// state tracking switches off cost tracking.
type exprTerm struct {
	text  string
	root  string
	steps []any  // string keys or int64 indexes
	fn    string // file function name
	file  string // its path argument
}

type exprState struct {
	ctx   context.Context
	t     target.Target
	calls int
	bytes int64
}

func (exprTemplate) Name() string { return "expr" }

func (exprTemplate) New(n *yaml.Node) (check.Check, error) {
	var a exprArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	at := valueNode(n, "expr")
	if strings.TrimSpace(a.Expr) == "" {
		return nil, check.ArgErrorf(at, "expr: an expression is required")
	}
	if len(a.Expr) > maxExprLen {
		return nil, check.ArgErrorf(at, "expr: longer than %d bytes", maxExprLen)
	}
	sources := exprSources
	if a.Facts != nil {
		sources = nil
		for _, name := range a.Facts {
			s, ok := lookupExprSource(name)
			if !ok {
				return nil, check.ArgErrorf(valueNode(n, "facts"), "facts: unknown fact %q (known: %s)", name, strings.Join(exprSourceNames(), ", "))
			}
			if !slices.ContainsFunc(sources, func(o FactSource) bool { return o.Name == name }) {
				sources = append(sources, s)
			}
		}
	}
	if len(a.Applies) > maxExprLen {
		return nil, check.ArgErrorf(valueNode(n, "applies"), "applies: longer than %d bytes", maxExprLen)
	}
	c, err := compileExprs(a.Expr, a.Applies, sources)
	if err != nil {
		var ae *appliesError
		if errors.As(err, &ae) {
			return nil, check.ArgErrorf(valueNode(n, "applies"), "invalid applies expression: %s", strings.TrimPrefix(ae.err.Error(), "ERROR: "))
		}
		return nil, check.ArgErrorf(at, "invalid expression: %s", strings.TrimPrefix(err.Error(), "ERROR: "))
	}
	c.message = a.Message
	return c, nil
}

func exprSourceNames() []string {
	var out []string
	for _, s := range exprSources {
		out = append(out, s.Name)
	}
	return out
}

// valueNode returns the value node of key in mapping n, or n.
func valueNode(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	}
	return n
}

type appliesError struct{ err error }

func (e *appliesError) Error() string { return "applies: " + e.err.Error() }

// compileExpr parses, type-checks and plans src with the given facts.
func compileExpr(src string, sources []FactSource) (*exprCheck, error) {
	return compileExprs(src, "", sources)
}

// compileExprs compiles the condition src and, unless empty, the
// applicability condition applies in one environment.
func compileExprs(src, applies string, sources []FactSource) (*exprCheck, error) {
	c := &exprCheck{src: src, applySrc: applies}
	opts := []cel.EnvOption{
		ext.Strings(),
		cel.CrossTypeNumericComparisons(true),
		cel.ParserExpressionSizeLimit(maxExprLen),
		cel.ParserRecursionLimit(100),
		cel.Function("file", cel.Overload("file_string", []*cel.Type{cel.StringType}, cel.StringType, cel.UnaryBinding(c.fileFn))),
		cel.Function("file_exists", cel.Overload("file_exists_string", []*cel.Type{cel.StringType}, cel.BoolType, cel.UnaryBinding(c.existsFn))),
		cel.Function("file_mode", cel.Overload("file_mode_string", []*cel.Type{cel.StringType}, cel.IntType, cel.UnaryBinding(c.modeFn))),
		cel.Function("glob", cel.Overload("glob_string", []*cel.Type{cel.StringType}, cel.ListType(cel.StringType), cel.UnaryBinding(c.globFn))),
	}
	names := map[string]bool{}
	for _, s := range sources {
		opts = append(opts, cel.Variable(s.Name, cel.DynType))
		names[s.Name] = true
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	if c.prog, err = c.plan(env, src, names, seen, true); err != nil {
		return nil, err
	}
	if applies != "" {
		if c.applies, err = c.plan(env, applies, names, seen, false); err != nil {
			return nil, &appliesError{err}
		}
	}
	sort.Strings(c.refs)
	return c, nil
}

// plan compiles one boolean expression, adding the facts it references to
// c.refs and, with terms, its fact paths to the evidence terms.
func (c *exprCheck) plan(env *cel.Env, src string, names, seen map[string]bool, terms bool) (cel.Program, error) {
	checked, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		return nil, iss.Err()
	}
	if t := checked.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("the expression yields %s, not bool", t)
	}
	native := checked.NativeRep()
	for _, r := range native.ReferenceMap() {
		if r != nil && names[r.Name] && !seen[r.Name] {
			seen[r.Name] = true
			c.refs = append(c.refs, r.Name)
		}
	}
	if terms {
		c.collectTerms(native.Expr(), names)
	}
	return env.Program(checked,
		cel.CostLimit(exprCostLimit),
		cel.InterruptCheckFrequency(100),
	)
}

// collectTerms records fact paths (os.id, a.b["c"]) rooted at a fact and
// file-function calls with literal arguments, outermost first.
func (c *exprCheck) collectTerms(e ast.Expr, facts map[string]bool) {
	if e == nil || len(c.terms) >= exprMaxTerms {
		return
	}
	if t, ok := factPath(e, facts); ok {
		if !slices.ContainsFunc(c.terms, func(o exprTerm) bool { return o.text == t.text }) {
			c.terms = append(c.terms, t)
		}
		return
	}
	switch e.Kind() {
	case ast.CallKind:
		call := e.AsCall()
		if slices.Contains(exprFuncNames, call.FunctionName()) && len(call.Args()) == 1 && call.Args()[0].Kind() == ast.LiteralKind {
			if s, ok := call.Args()[0].AsLiteral().(types.String); ok {
				c.terms = append(c.terms, exprTerm{text: call.FunctionName() + "(" + strconv.Quote(string(s)) + ")", fn: call.FunctionName(), file: target.Abs(string(s))})
				return
			}
		}
		if call.IsMemberFunction() {
			c.collectTerms(call.Target(), facts)
		}
		for _, a := range call.Args() {
			c.collectTerms(a, facts)
		}
	case ast.SelectKind:
		c.collectTerms(e.AsSelect().Operand(), facts)
	case ast.ListKind:
		for _, el := range e.AsList().Elements() {
			c.collectTerms(el, facts)
		}
	case ast.MapKind:
		for _, en := range e.AsMap().Entries() {
			me := en.AsMapEntry()
			c.collectTerms(me.Key(), facts)
			c.collectTerms(me.Value(), facts)
		}
	case ast.ComprehensionKind:
		cp := e.AsComprehension()
		c.collectTerms(cp.IterRange(), facts)
	}
}

// factPath renders e as a term when it selects into a fact variable.
func factPath(e ast.Expr, facts map[string]bool) (exprTerm, bool) {
	switch e.Kind() {
	case ast.IdentKind:
		return exprTerm{text: e.AsIdent(), root: e.AsIdent()}, facts[e.AsIdent()]
	case ast.SelectKind:
		s := e.AsSelect()
		if s.IsTestOnly() {
			return exprTerm{}, false
		}
		t, ok := factPath(s.Operand(), facts)
		t.text += "." + s.FieldName()
		t.steps = append(t.steps, s.FieldName())
		return t, ok
	case ast.CallKind:
		call := e.AsCall()
		if call.FunctionName() == "_[_]" && len(call.Args()) == 2 && call.Args()[1].Kind() == ast.LiteralKind {
			t, ok := factPath(call.Args()[0], facts)
			switch k := call.Args()[1].AsLiteral().(type) {
			case types.String:
				t.text += "[" + strconv.Quote(string(k)) + "]"
				t.steps = append(t.steps, string(k))
			case types.Int:
				t.text += "[" + strconv.FormatInt(int64(k), 10) + "]"
				t.steps = append(t.steps, int64(k))
			default:
				return exprTerm{}, false
			}
			return t, ok
		}
	}
	return exprTerm{}, false
}

// resolve looks a fact path up in the collected plain data.
func resolve(v any, steps []any) (any, bool) {
	for _, s := range steps {
		switch k := s.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[k]; !ok {
				return nil, false
			}
		case int64:
			l, ok := v.([]any)
			if !ok || k < 0 || k >= int64(len(l)) {
				return nil, false
			}
			v = l[k]
		}
	}
	return v, true
}

func (c *exprCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	vars := map[string]any{}
	for _, name := range c.refs {
		s, _ := lookupExprSource(name)
		if s.Live && !f.Target().Live() {
			return check.NotApplicable("the expression uses the runtime fact %q; the target has no runtime state", name)
		}
		v, err := s.collect(ctx, f)
		if err != nil {
			return check.FromErr("collect fact "+name, err)
		}
		vars[name] = v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st = &exprState{ctx: ctx, t: f.Target()}
	defer func() { c.st = nil }()
	if c.applies != nil {
		v, _, err := c.applies.ContextEval(ctx, vars)
		if err != nil {
			return check.Errorf("evaluate applies expression: %v", err)
		}
		b, ok := v.(types.Bool)
		if !ok {
			return check.Errorf("applies expression yielded %s, not bool", v.Type().TypeName())
		}
		if !b {
			return check.NotApplicable("the rule applies only where %s", bound(c.applySrc, 500))
		}
	}
	val, _, err := c.prog.ContextEval(ctx, vars)
	// The message explains a failure; a passing or unevaluable result
	// must not carry it.
	ev := []result.Evidence{{Expected: "true: " + bound(c.src, 1000)}}
	ev = append(ev, c.termEvidence(vars)...)
	if err != nil {
		ev[0].Observed = "error"
		o := check.Errorf("evaluate expression: %v", err)
		o.Evidence = ev
		return o
	}
	b, ok := val.(types.Bool)
	if !ok {
		ev[0].Observed = bound(formatVal(val), exprMaxValueLen)
		o := check.Errorf("expression yielded %s, not bool", val.Type().TypeName())
		o.Evidence = ev
		return o
	}
	ev[0].Observed = strconv.FormatBool(bool(b))
	if b {
		return check.Pass(ev...)
	}
	ev[0].Note = c.message
	return check.Fail(ev...)
}

func (c *exprCheck) termEvidence(vars map[string]any) []result.Evidence {
	var out []result.Evidence
	for _, t := range c.terms {
		var s string
		switch t.fn {
		case "":
			v, ok := resolve(vars[t.root], t.steps)
			if !ok {
				s = "(absent)"
			} else {
				s = summarize(v)
			}
		case "file":
			if _, err := c.st.t.Lstat(target.Clean(t.file)); errors.Is(err, fs.ErrNotExist) {
				s = "(absent)"
			} else {
				s = formatVal(c.fileFn(types.String(t.file)))
			}
		case "file_exists":
			s = formatVal(c.existsFn(types.String(t.file)))
		case "file_mode":
			s = formatVal(c.modeFn(types.String(t.file)))
		case "glob":
			s = formatVal(c.globFn(types.String(t.file)))
		}
		e := result.Evidence{Observed: t.text + " = " + bound(s, exprMaxValueLen)}
		if t.fn != "" && t.fn != "glob" {
			e.File = t.file
		}
		out = append(out, e)
	}
	return out
}

// summarize renders plain data as JSON, or, when that is too long, a
// summary naming the keys of an object or the size of a list.
func summarize(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) <= exprMaxValueLen {
		return string(b)
	}
	switch x := v.(type) {
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		return fmt.Sprintf("object with %d keys: %s", len(keys), strings.Join(keys, ", "))
	case []any:
		return fmt.Sprintf("list of %d items", len(x))
	}
	return string(b)
}

func formatVal(v ref.Val) string {
	if v == nil {
		return "null"
	}
	if types.IsError(v) {
		return "error: " + fmt.Sprint(v.Value())
	}
	if b, err := json.Marshal(v.Value()); err == nil {
		return string(b)
	}
	return fmt.Sprint(v.Value())
}

func bound(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// budget accounts one file-function call.
func (st *exprState) budget() error {
	if st == nil {
		return errors.New("file functions are only available during a scan")
	}
	if err := st.ctx.Err(); err != nil {
		return err
	}
	st.calls++
	if st.calls > exprMaxFileCalls {
		return fmt.Errorf("more than %d file function calls", exprMaxFileCalls)
	}
	return nil
}

func argPath(v ref.Val) (string, error) {
	s, ok := v.(types.String)
	if !ok {
		return "", fmt.Errorf("path must be a string, not %s", v.Type().TypeName())
	}
	return target.Clean(string(s)), nil
}

func (c *exprCheck) fileFn(v ref.Val) ref.Val {
	p, err := argPath(v)
	if err == nil {
		err = c.st.budget()
	}
	if err != nil {
		return types.NewErr("file: %v", err)
	}
	fi, err := c.st.t.Stat(p)
	if err != nil {
		return types.NewErr("file(%q): %v", target.Abs(p), err)
	}
	switch {
	case fi.Mode.IsDir():
		return types.NewErr("file(%q): is a directory", target.Abs(p))
	case !fi.Mode.IsRegular():
		// Devices (a unit masked to /dev/null), FIFOs and sockets read
		// as empty: nothing is read from them.
		return types.String("")
	}
	b, err := target.ReadFileLimit(c.st.t, p, exprMaxFileSize)
	switch {
	case errors.Is(err, target.ErrTooLarge):
		return types.NewErr("file(%q): larger than %d bytes", target.Abs(p), exprMaxFileSize)
	case err != nil:
		return types.NewErr("file(%q): %v", target.Abs(p), err)
	}
	c.st.bytes += int64(len(b))
	if c.st.bytes > exprMaxFileBytes {
		return types.NewErr("file: read more than %d bytes in one evaluation", exprMaxFileBytes)
	}
	return types.String(b)
}

func (c *exprCheck) existsFn(v ref.Val) ref.Val {
	p, err := argPath(v)
	if err == nil {
		err = c.st.budget()
	}
	if err != nil {
		return types.NewErr("file_exists: %v", err)
	}
	_, err = c.st.t.Lstat(p)
	switch {
	case err == nil:
		return types.True
	case errors.Is(err, fs.ErrNotExist):
		return types.False
	}
	return types.NewErr("file_exists(%q): %v", target.Abs(p), err)
}

func (c *exprCheck) modeFn(v ref.Val) ref.Val {
	p, err := argPath(v)
	if err == nil {
		err = c.st.budget()
	}
	if err != nil {
		return types.NewErr("file_mode: %v", err)
	}
	fi, err := c.st.t.Stat(p)
	switch {
	case err == nil:
		return types.Int(PermBits(fi.Mode))
	case errors.Is(err, fs.ErrNotExist):
		return types.Int(-1)
	}
	return types.NewErr("file_mode(%q): %v", target.Abs(p), err)
}

func (c *exprCheck) globFn(v ref.Val) ref.Val {
	p, err := argPath(v)
	if err == nil {
		err = c.st.budget()
	}
	if err != nil {
		return types.NewErr("glob: %v", err)
	}
	matches, err := globTarget(c.st, p)
	if err != nil {
		return types.NewErr("glob(%q): %v", target.Abs(p), err)
	}
	return types.NewStringList(types.DefaultTypeAdapter, matches)
}

// globTarget expands a root-relative pattern component by component.
// Components without metacharacters are looked up directly; the number of
// results and of directory reads is bounded.
func globTarget(st *exprState, pattern string) ([]string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, err
	}
	cur := []string{""}
	if pattern == "" {
		return []string{"/"}, nil
	}
	reads := 0
	for _, comp := range strings.Split(pattern, "/") {
		var next []string
		for _, dir := range cur {
			if !strings.ContainsAny(comp, "*?[\\") {
				p := path.Join(dir, comp)
				if _, err := st.t.Lstat(p); err == nil {
					next = append(next, p)
				} else if !errors.Is(err, fs.ErrNotExist) {
					return nil, err
				}
				continue
			}
			reads++
			if reads > exprMaxGlob {
				return nil, fmt.Errorf("pattern reads more than %d directories", exprMaxGlob)
			}
			if err := st.ctx.Err(); err != nil {
				return nil, err
			}
			ms, err := target.Glob(st.t, dir, comp)
			if err != nil && !errors.Is(err, fs.ErrNotExist) && !isNotDir(err) {
				return nil, err
			}
			next = append(next, ms...)
		}
		if len(next) > exprMaxGlob {
			return nil, fmt.Errorf("more than %d matches", exprMaxGlob)
		}
		cur = next
	}
	out := make([]string, len(cur))
	for i, p := range cur {
		out[i] = target.Abs(p)
	}
	sort.Strings(out)
	return out, nil
}

func isNotDir(err error) bool {
	return err != nil && strings.Contains(err.Error(), "not a directory")
}
