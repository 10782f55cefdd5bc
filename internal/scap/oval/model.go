package oval

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cradle-cra/cradle/internal/scap"
	"github.com/cradle-cra/cradle/internal/xmlsafe"
)

// Document is a parsed oval_definitions document.
type Document struct {
	Definitions map[string]*Definition
	Tests       map[string]*Test
	Objects     map[string]*ObjectDef
	States      map[string]*StateDef
	Variables   map[string]*VariableDef
	// DefinitionIDs keeps document order.
	DefinitionIDs []string
}

// Definition returns the definition with id, or nil.
func (d *Document) Definition(id string) *Definition { return d.Definitions[id] }

// Definition is an OVAL definition.
type Definition struct {
	ID, Class, Title, Version string
	Deprecated                bool
	Criteria                  *Criteria
}

// Criteria is a node of a criteria tree.
type Criteria struct {
	Operator           Operator
	Negate             bool
	ApplicabilityCheck bool
	Children           []CriteriaNode
}

// CriteriaNode is one child: nested criteria, a criterion (TestRef) or an
// extend_definition (DefinitionRef).
type CriteriaNode struct {
	Criteria           *Criteria
	TestRef            string
	DefinitionRef      string
	Negate             bool
	ApplicabilityCheck bool
}

// Test is an OVAL test of any type.
type Test struct {
	ID, Type, Namespace, Comment string
	Check                        Check
	CheckExistence               Existence
	StateOperator                Operator
	ObjectRef                    string
	StateRefs                    []string
}

// EntityDef is an object or state entity as written.
type EntityDef struct {
	Name        string
	Operation   Operation
	Datatype    Datatype
	Text        string
	VarRef      string
	VarCheck    Check
	EntityCheck Check
	Nil         bool
	Fields      []EntityDef // record datatype
}

// Filter keeps (include) or drops (exclude) items matching a state.
type Filter struct {
	Action   string
	StateRef string
}

// SetDef is an object set: an operation over one or two object references
// or nested sets, with filters applied to the referenced objects' items.
type SetDef struct {
	Operation  string
	ObjectRefs []string
	Sets       []*SetDef
	Filters    []Filter
}

// ObjectDef is an object as written.
type ObjectDef struct {
	ID, Type, Namespace, Comment string
	Entities                     []EntityDef
	Behaviors                    map[string]string
	Set                          *SetDef
	Filters                      []Filter
}

// StateDef is a state as written.
type StateDef struct {
	ID, Type, Namespace string
	Operator            Operator
	Entities            []EntityDef
}

// Restriction is one possible_restriction of an external variable.
type Restriction struct {
	Operator     Operator
	Restrictions []EntityDef // Operation and Text
}

// VariableDef is a constant, external or local variable.
type VariableDef struct {
	ID, Kind             string
	Datatype             Datatype
	Values               []string // constant
	PossibleValues       []string
	PossibleRestrictions []Restriction
	component            *node // local
}

// Parse reads the first oval_definitions element in r (a whole OVAL file or
// a datastream component), within xmlsafe's default bounds.
func Parse(r io.Reader) (*Document, error) {
	return ParseWithLimits(r, xmlsafe.Limits{})
}

// ParseWithLimits is Parse with explicit bounds. Errors about the input are
// *xmlsafe.Error values with a line and column. The input is read whole
// and parsed by scap.ParseTree (encoding/xml's tokenizer was most of the
// cost of reading SSG's OVAL components).
func ParseWithLimits(r io.Reader, lim xmlsafe.Limits) (*Document, error) {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = xmlsafe.DefaultMaxBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("oval: %w", err)
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, fmt.Errorf("oval: %w", &xmlsafe.Error{Line: 1, Col: 1, Err: fmt.Errorf("%w (more than %d bytes)", xmlsafe.ErrTooLarge, lim.MaxBytes)})
	}
	return ParseBytes(data, nil, lim)
}

// ParseBytes is ParseWithLimits over a document in memory (lim.MaxBytes
// is not applied: the caller has read data); scope are the namespace
// declarations around data when it is a data-stream component.
func ParseBytes(data []byte, scope []xml.Attr, lim xmlsafe.Limits) (*Document, error) {
	root, err := scap.ParseTree(data, scap.TreeOptions{MaxDepth: lim.MaxDepth, MaxTokens: lim.MaxTokens, Scope: scope})
	if err != nil {
		return nil, fmt.Errorf("oval: %w", err)
	}
	defs := findElement(root, "oval_definitions", 0)
	if defs == nil {
		return nil, errors.New("oval: no oval_definitions element")
	}
	doc, err := build(nodeOf(defs))
	if err != nil {
		return nil, fmt.Errorf("oval: %w", err)
	}
	return doc, nil
}

// findElement returns the first element named local in document order.
func findElement(n *scap.Node, local string, depth int) *scap.Node {
	if n.Name.Local == local {
		return n
	}
	if depth > xmlsafe.DefaultMaxDepth {
		return nil
	}
	for k := n.First; k != nil; k = k.Next {
		if f := findElement(k, local, depth+1); f != nil {
			return f
		}
	}
	return nil
}

// nodeOf converts a parsed element to the model's node (its depth is
// bounded by the parse).
func nodeOf(t *scap.Node) *node {
	n := &node{ns: t.Name.Space, name: t.Name.Local, attrs: t.Attr, line: t.Line, text: t.CharData()}
	count := 0
	for k := t.First; k != nil; k = k.Next {
		count++
	}
	if count > 0 {
		n.kids = make([]*node, 0, count)
		for k := t.First; k != nil; k = k.Next {
			n.kids = append(n.kids, nodeOf(k))
		}
	}
	return n
}

// DecodeElement reads an oval_definitions element whose start token d has
// just returned (for readers of SCAP datastreams); d should come from
// xmlsafe.NewDecoder so that size and token counts stay bounded.
func DecodeElement(d *xml.Decoder, start xml.StartElement) (*Document, error) {
	return decodeTree(&treeReader{d: d, pos: d.InputPos, maxDepth: xmlsafe.DefaultMaxDepth}, start)
}

func decodeTree(tr *treeReader, start xml.StartElement) (*Document, error) {
	root, err := tr.readTree(start, 0)
	if err != nil {
		return nil, fmt.Errorf("oval: %w", err)
	}
	doc, err := build(root)
	if err != nil {
		return nil, fmt.Errorf("oval: %w", err)
	}
	return doc, nil
}

func shortNS(ns string) string {
	if i := strings.LastIndexByte(ns, '#'); i >= 0 {
		return ns[i+1:]
	}
	return ""
}

func build(root *node) (*Document, error) {
	doc := &Document{
		Definitions: map[string]*Definition{},
		Tests:       map[string]*Test{},
		Objects:     map[string]*ObjectDef{},
		States:      map[string]*StateDef{},
		Variables:   map[string]*VariableDef{},
	}
	for _, sec := range root.kids {
		switch sec.name {
		case "definitions", "tests", "objects", "states", "variables":
		default:
			continue
		}
		for _, n := range sec.kids {
			id := n.attr("id")
			if id == "" {
				return nil, &xmlsafe.Error{Line: n.line, Err: fmt.Errorf("%s without id", n.name)}
			}
			var dup bool
			switch sec.name {
			case "definitions":
				_, dup = doc.Definitions[id]
				def, err := buildDefinition(n)
				if err != nil {
					return nil, &xmlsafe.Error{Line: n.line, Err: err}
				}
				doc.Definitions[id] = def
				doc.DefinitionIDs = append(doc.DefinitionIDs, id)
			case "tests":
				_, dup = doc.Tests[id]
				doc.Tests[id] = buildTest(n)
			case "objects":
				_, dup = doc.Objects[id]
				doc.Objects[id] = buildObject(n)
			case "states":
				_, dup = doc.States[id]
				doc.States[id] = &StateDef{ID: id, Type: strings.TrimSuffix(n.name, "_state"), Namespace: shortNS(n.ns),
					Operator: Operator(n.attr("operator")), Entities: buildEntities(n.kids)}
			case "variables":
				_, dup = doc.Variables[id]
				doc.Variables[id] = buildVariable(n)
			}
			if dup {
				return nil, &xmlsafe.Error{Line: n.line, Err: fmt.Errorf("duplicate id %q", id)}
			}
		}
	}
	return doc, nil
}

func isTrue(s string) bool { return s == "true" || s == "1" }

func buildDefinition(n *node) (*Definition, error) {
	def := &Definition{ID: n.attr("id"), Class: n.attr("class"), Version: n.attr("version"), Deprecated: isTrue(n.attr("deprecated"))}
	if md := n.child("metadata"); md != nil {
		if t := md.child("title"); t != nil {
			def.Title = strings.TrimSpace(t.text)
		}
	}
	if c := n.child("criteria"); c != nil {
		def.Criteria = buildCriteria(c)
	}
	return def, nil
}

func buildCriteria(n *node) *Criteria {
	c := &Criteria{Operator: Operator(n.attr("operator")), Negate: isTrue(n.attr("negate")), ApplicabilityCheck: isTrue(n.attr("applicability_check"))}
	if c.Operator == "" {
		c.Operator = OpAND
	}
	for _, k := range n.kids {
		cn := CriteriaNode{Negate: isTrue(k.attr("negate")), ApplicabilityCheck: isTrue(k.attr("applicability_check"))}
		switch k.name {
		case "criteria":
			cn.Criteria = buildCriteria(k)
			cn.Negate = false // the nested criteria carries its own negate
		case "criterion":
			cn.TestRef = k.attr("test_ref")
		case "extend_definition":
			cn.DefinitionRef = k.attr("definition_ref")
		default:
			continue
		}
		c.Children = append(c.Children, cn)
	}
	return c
}

func buildTest(n *node) *Test {
	t := &Test{ID: n.attr("id"), Type: strings.TrimSuffix(n.name, "_test"), Namespace: shortNS(n.ns), Comment: n.attr("comment"),
		Check: Check(n.attr("check")), CheckExistence: Existence(n.attr("check_existence")), StateOperator: Operator(n.attr("state_operator"))}
	if t.CheckExistence == "" {
		t.CheckExistence = AtLeastOneExists
	}
	if t.StateOperator == "" {
		t.StateOperator = OpAND
	}
	for _, k := range n.kids {
		switch k.name {
		case "object":
			t.ObjectRef = k.attr("object_ref")
		case "state":
			t.StateRefs = append(t.StateRefs, k.attr("state_ref"))
		}
	}
	return t
}

func buildEntity(k *node) EntityDef {
	e := EntityDef{Name: k.name, Operation: Operation(k.attr("operation")), Datatype: Datatype(k.attr("datatype")),
		Text: k.text, VarRef: k.attr("var_ref"), VarCheck: Check(k.attr("var_check")), EntityCheck: Check(k.attr("entity_check")),
		Nil: isTrue(k.attr("nil"))}
	if e.Operation == "" {
		e.Operation = Equals
	}
	if e.Datatype == "" {
		e.Datatype = String
	}
	if e.Datatype == Record {
		e.Fields = buildEntities(k.kids)
	}
	return e
}

func buildEntities(kids []*node) []EntityDef {
	var out []EntityDef
	for _, k := range kids {
		switch k.name {
		case "notes", "signature", "behaviors", "filter", "set":
			continue
		}
		if k.name == "field" {
			e := buildEntity(k)
			e.Name = k.attr("name")
			out = append(out, e)
			continue
		}
		out = append(out, buildEntity(k))
	}
	return out
}

func buildFilters(kids []*node) []Filter {
	var out []Filter
	for _, k := range kids {
		if k.name == "filter" {
			a := k.attr("action")
			if a == "" {
				a = "exclude"
			}
			out = append(out, Filter{Action: a, StateRef: strings.TrimSpace(k.text)})
		}
	}
	return out
}

func buildSet(n *node) *SetDef {
	s := &SetDef{Operation: n.attr("set_operator"), Filters: buildFilters(n.kids)}
	if s.Operation == "" {
		s.Operation = "UNION"
	}
	for _, k := range n.kids {
		switch k.name {
		case "object_reference":
			s.ObjectRefs = append(s.ObjectRefs, strings.TrimSpace(k.text))
		case "set":
			s.Sets = append(s.Sets, buildSet(k))
		}
	}
	return s
}

func buildObject(n *node) *ObjectDef {
	o := &ObjectDef{ID: n.attr("id"), Type: strings.TrimSuffix(n.name, "_object"), Namespace: shortNS(n.ns), Comment: n.attr("comment"),
		Filters: buildFilters(n.kids)}
	for _, k := range n.kids {
		switch k.name {
		case "set":
			o.Set = buildSet(k)
		case "behaviors":
			o.Behaviors = map[string]string{}
			for _, a := range k.attrs {
				o.Behaviors[a.Name.Local] = a.Value
			}
		}
	}
	o.Entities = buildEntities(n.kids)
	return o
}

func buildVariable(n *node) *VariableDef {
	v := &VariableDef{ID: n.attr("id"), Kind: strings.TrimSuffix(n.name, "_variable"), Datatype: Datatype(n.attr("datatype"))}
	if v.Datatype == "" {
		v.Datatype = String
	}
	for _, k := range n.kids {
		switch k.name {
		case "value":
			v.Values = append(v.Values, k.text)
		case "possible_value":
			v.PossibleValues = append(v.PossibleValues, k.text)
		case "possible_restriction":
			r := Restriction{Operator: Operator(k.attr("operator"))}
			if r.Operator == "" {
				r.Operator = OpAND
			}
			for _, rr := range k.kids {
				if rr.name == "restriction" {
					r.Restrictions = append(r.Restrictions, EntityDef{Operation: Operation(rr.attr("operation")), Text: rr.text, Datatype: v.Datatype})
				}
			}
			v.PossibleRestrictions = append(v.PossibleRestrictions, r)
		case "notes", "signature":
		default:
			if v.component == nil {
				v.component = k
			}
		}
	}
	return v
}
