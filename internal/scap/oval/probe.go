package oval

import (
	"context"
	"errors"
	"fmt"

	"github.com/cradle-cra/cradle/internal/target"
)

// Probe collects the items an OVAL object describes. The evaluator resolves
// var_refs, applies sets and filters, and memoises results, so a probe only
// sees a simple object whose entity values are final.
type Probe interface {
	Collect(ctx context.Context, obj *Object, env *Env) (Collected, error)
}

// ProbeFunc adapts a function to Probe.
type ProbeFunc func(ctx context.Context, obj *Object, env *Env) (Collected, error)

// Collect calls f.
func (f ProbeFunc) Collect(ctx context.Context, obj *Object, env *Env) (Collected, error) {
	return f(ctx, obj, env)
}

// Registry maps an object type without its "_object" suffix
// ("textfilecontent54", "file", "dpkginfo") to its probe.
type Registry map[string]Probe

// ErrNotImplemented is returned (wrapped) when no probe handles a type; the
// test's result is then error with a message naming the type.
var ErrNotImplemented = errors.New("OVAL probe not implemented")

// NotImplemented builds the error for an unsupported object type.
func NotImplemented(typ string) error {
	return fmt.Errorf("%w: %s_object", ErrNotImplemented, typ)
}

// Env is what an evaluation runs against.
type Env struct {
	// Target confines every file read.
	Target target.Target
	// Probes collect objects; a missing type yields an error result.
	Probes Registry
	// External holds values of external variables by OVAL variable id
	// (from XCCDF check-export).
	External map[string][]string
	// Limits bound total work; zero fields take defaults.
	Limits Limits
	// variables lets the built-in variable probe read variable values.
	variables func(ctx context.Context, id string) ([]Value, error)
}

// Variable returns the values of an OVAL variable in the evaluation that
// called the probe (for variable_object).
func (e *Env) Variable(ctx context.Context, id string) ([]Value, error) {
	if e == nil || e.variables == nil {
		return nil, errors.New("no variable resolver in this environment")
	}
	return e.variables(ctx, id)
}

// Limits bound an evaluation over untrusted content.
type Limits struct {
	MaxItems    int // items per collected object after filtering (default 1000000)
	MaxValues   int // values per variable (default 100000)
	MaxDepth    int // nesting of criteria, sets, variables (default 64)
	MaxCollects int // distinct object collections (default 100000)
}

// Flag is an OVAL collected-object flag.
type Flag string

// Collected-object flags (OVAL 5.11 FlagEnumeration).
const (
	FlagComplete      Flag = "complete"
	FlagIncomplete    Flag = "incomplete"
	FlagDoesNotExist  Flag = "does not exist"
	FlagError         Flag = "error"
	FlagNotCollected  Flag = "not collected"
	FlagNotApplicable Flag = "not applicable"
)

// Status is an item's (or item entity's) status.
type Status string

// Item statuses (OVAL 5.11 StatusEnumeration).
const (
	StatusExists       Status = "exists"
	StatusDoesNotExist Status = "does not exist"
	StatusError        Status = "error"
	StatusNotCollected Status = "not collected"
)

// Value is one typed value of an item field or variable. Record holds the
// fields of a record-datatype value.
type Value struct {
	Datatype Datatype
	Text     string
	Record   map[string]Value
}

// Str is a string Value.
func Str(s string) Value { return Value{Datatype: String, Text: s} }

// Item is one collected system characteristic: field name ("path",
// "filename", "text", "subexpression", "evr") to its values.
type Item struct {
	Status  Status // "" means exists
	Fields  map[string][]Value
	Message string
}

// Collected is a probe's answer for one object.
type Collected struct {
	Flag    Flag // "" means complete when Items is non-empty, does not exist otherwise
	Items   []Item
	Message string   // why the flag is error/incomplete/not collected
	Notes   []string // evidence worth showing ("offline: from /etc/sysctl.d")
}

// ObjectEntity is an object entity after var_ref resolution.
type ObjectEntity struct {
	Name      string
	Operation Operation
	Datatype  Datatype
	// Values holds the literal text, or the variable's values for var_ref.
	Values   []string
	VarCheck Check // how Values combine when several (default all)
	VarRef   string
	Nil      bool // xsi:nil="true" (e.g. file_object filename: directories only)
}

// Match reports whether a collected value satisfies this entity, combining
// several values with VarCheck.
func (e *ObjectEntity) Match(got string) (bool, error) {
	if e == nil {
		return true, nil
	}
	if len(e.Values) == 0 {
		return e.VarRef == "" && e.Nil, nil
	}
	var res []ResultValue
	for _, want := range e.Values {
		ok, err := MatchEntity(e.Operation, e.Datatype, want, got)
		if err != nil {
			return false, err
		}
		res = append(res, boolResult(ok))
	}
	return combineCheck(e.VarCheck, res) == True, nil
}

// Object is a simple object as probes see it.
type Object struct {
	ID        string
	Type      string // without "_object": "textfilecontent54"
	Namespace string // last path element of the namespace: "independent", "unix", "linux"
	Entities  []ObjectEntity
	// Behaviors holds the behaviors element's attributes (recurse_direction,
	// max_depth, multiline, ...).
	Behaviors map[string]string
	// Keep applies the object's filters to one item; nil when it has none.
	// Probes that may produce many items (a file walk) call it to drop
	// items early; the engine filters again, so calling it is optional.
	Keep func(Item) (bool, error)
	// KeepFields names the item fields Keep's states look at, so a probe
	// may hand Keep a partial item first and build the whole one only
	// for items it keeps.
	KeepFields []string
	// KeepFrom is Keep over a field source the probe computes on demand
	// (nil when there are no filters). Keep and KeepFrom remember state
	// results between calls: a probe calls them from one goroutine.
	KeepFrom func(Fields) (bool, error)
}

// Entity returns the named entity or nil.
func (o *Object) Entity(name string) *ObjectEntity {
	for i := range o.Entities {
		if o.Entities[i].Name == name {
			return &o.Entities[i]
		}
	}
	return nil
}

// Behavior returns a behavior's value or def.
func (o *Object) Behavior(name, def string) string {
	if v, ok := o.Behaviors[name]; ok {
		return v
	}
	return def
}
