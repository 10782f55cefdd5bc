// Package check defines the typed check templates rules are written in.
// A template decodes its arguments from the rule's YAML (failing with the
// file and line of a mistake), evaluates against the facts of a target and
// returns an Outcome with evidence. Templates are registered in an explicit
// Registry built by the caller, so tests can use tiny ones.
package check

import (
	"context"
	"fmt"
	"sort"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
)

// Template turns rule arguments into a Check.
type Template interface {
	// Name is the key rules use under `check:`.
	Name() string
	// New decodes and validates args (already parameter-substituted).
	// Errors should be *ArgError or wrap one, to carry the YAML line.
	New(args *yaml.Node) (Check, error)
}

// Check is one ready-to-run, validated check.
type Check interface {
	Evaluate(ctx context.Context, f *facts.Store) Outcome
}

// Fixable is implemented by checks whose template can remediate them
// natively (see cradle fix).
type Fixable interface {
	Fixable() bool
}

// LiveFix is implemented by fixable checks whose fix needs the running
// system (installing a package needs the package manager and a source):
// on an offline root filesystem or an image they are reported as not
// fixable, and cradle fix defers them.
type LiveFix interface {
	FixNeedsLive() bool
}

// Remediator is implemented by checks that can plan their own fix.
// Remediate is called only when the check failed; it records on ch the
// operations that make the check pass, reading the planned state through
// ch (so fixes of several rules to one file compose) and may use f, the
// facts of the unchanged target, to find what to change. It must not
// write anywhere. A check that cannot be fixed on this target records a
// deferred operation with the reason (ch.Defer) rather than an error.
type Remediator interface {
	Remediate(ctx context.Context, f *facts.Store, ch *remedy.Changes) error
}

// Outcome is what a Check found.
type Outcome struct {
	Status   result.Status
	Reason   string
	Evidence []result.Evidence
}

// Pass, Fail, NotApplicable and Errorf build outcomes tersely.
func Pass(ev ...result.Evidence) Outcome { return Outcome{Status: result.Pass, Evidence: ev} }
func Fail(ev ...result.Evidence) Outcome { return Outcome{Status: result.Fail, Evidence: ev} }
func NotApplicable(format string, a ...any) Outcome {
	return Outcome{Status: result.NotApplicable, Reason: fmt.Sprintf(format, a...)}
}
func Errorf(format string, a ...any) Outcome {
	return Outcome{Status: result.Error, Reason: fmt.Sprintf(format, a...)}
}

// FromErr converts a collector error into an error outcome, naming
// permission problems plainly.
func FromErr(what string, err error) Outcome {
	return Errorf("%s: %v", what, err)
}

// ArgError is a template argument mistake at a YAML position.
type ArgError struct {
	Line, Column int
	Msg          string
}

func (e *ArgError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// ArgErrorf builds an ArgError positioned at n.
func ArgErrorf(n *yaml.Node, format string, a ...any) error {
	e := &ArgError{Msg: fmt.Sprintf(format, a...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// Decode strictly decodes args into v: unknown fields are errors.
func Decode(args *yaml.Node, v any) error {
	if args == nil {
		return &ArgError{Msg: "missing arguments"}
	}
	if err := decodeStrict(args, v); err != nil {
		return err
	}
	return nil
}

// Registry maps template names to templates.
type Registry struct {
	m map[string]Template
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{m: map[string]Template{}} }

// Register adds t; a duplicate name is an error.
func (r *Registry) Register(ts ...Template) error {
	for _, t := range ts {
		if _, dup := r.m[t.Name()]; dup {
			return fmt.Errorf("check template %q registered twice", t.Name())
		}
		r.m[t.Name()] = t
	}
	return nil
}

// Lookup finds a template by name.
func (r *Registry) Lookup(name string) (Template, bool) {
	t, ok := r.m[name]
	return t, ok
}

// Names lists registered templates, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.m))
	for n := range r.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
