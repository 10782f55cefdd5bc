package check

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
)

type inner struct {
	Name string `yaml:"name"`
	Mode int    `yaml:"mode"`
}

type args struct {
	Path    string     `yaml:"path"`
	Inner   inner      `yaml:"inner"`
	Ptr     *inner     `yaml:"ptr"`
	List    []inner    `yaml:"list"`
	Raw     yaml.Node  `yaml:"raw"`
	Secret  string     `yaml:"-"`
	Untaged string     // key "untaged"
	Any     any        `yaml:"any"`
	Nested  [][]inner  `yaml:"nested"`
	Opt     *yaml.Node `yaml:"opt,omitempty"`
}

type inlineArgs struct {
	Known string         `yaml:"known"`
	Rest  map[string]any `yaml:",inline"`
}

func node(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func TestDecodeStrict(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		line      int
		msg       string
	}{
		{"ok", "path: /etc\ninner: {name: a, mode: 1}\nptr: {name: b}\nlist: [{name: c}]\nraw: {anything: [goes]}\nuntaged: x\nany: {free: form}\nnested: [[{mode: 2}]]\n", 0, ""},
		{"unknown top-level", "path: /etc\npaht: /etc\n", 2, `unknown field "paht" (allowed: any, inner, list, nested, opt, path, ptr, raw, untaged)`},
		{"unknown in struct", "inner:\n  name: a\n  mod: 1\n", 3, `unknown field "mod" (allowed: mode, name)`},
		{"unknown behind pointer", "ptr: {nme: a}\n", 1, `unknown field "nme"`},
		{"unknown in list", "list:\n  - name: a\n  - name: b\n    extra: 1\n", 4, `unknown field "extra"`},
		{"unknown in nested list", "nested: [[{mode: 1, bad: 2}]]\n", 1, `unknown field "bad"`},
		{"hidden field is unknown", "Secret: x\n", 1, `unknown field "Secret"`},
		{"dash field is unknown", "\"-\": x\n", 1, `unknown field "-"`},
		{"type error names its line", "path: /etc\ninner: {mode: notanumber}\n", 2, "cannot unmarshal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a args
			err := Decode(node(t, tc.src), &a)
			if tc.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				if a.Path != "/etc" || a.Inner.Mode != 1 || a.Ptr.Name != "b" || a.List[0].Name != "c" || a.Untaged != "x" || a.Nested[0][0].Mode != 2 || a.Raw.Kind != yaml.MappingNode {
					t.Errorf("decoded %+v", a)
				}
				return
			}
			var ae *ArgError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v (%T), want *ArgError", err, err)
			}
			if !strings.Contains(ae.Msg, tc.msg) || (tc.line > 0 && ae.Line != tc.line) {
				t.Errorf("got line %d %q, want line %d %q", ae.Line, ae.Msg, tc.line, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Errorf("error %q does not lead with the line", err)
			}
		})
	}
}

func TestDecodeInlineAcceptsAnyKey(t *testing.T) {
	var a inlineArgs
	if err := Decode(node(t, "known: k\nother: 1\n"), &a); err != nil || a.Known != "k" || a.Rest["other"] != 1 {
		t.Errorf("%+v, %v", a, err)
	}
}

func TestDecodeMissingArgs(t *testing.T) {
	var a args
	err := Decode(nil, &a)
	var ae *ArgError
	if !errors.As(err, &ae) || ae.Line != 0 || err.Error() != "missing arguments" {
		t.Errorf("err = %v", err)
	}
}

func TestArgErrorf(t *testing.T) {
	n := node(t, "a: 1\nb: 2\n").Content[3]
	err := ArgErrorf(n, "b must be %s", "small")
	if err.Error() != "line 2: b must be small" {
		t.Errorf("%v", err)
	}
	if err := ArgErrorf(nil, "no position"); err.Error() != "no position" {
		t.Errorf("%v", err)
	}
}

type named string

func (n named) Name() string                                 { return string(n) }
func (n named) New(*yaml.Node) (Check, error)                { return nil, nil }
func (named) Evaluate(context.Context, *facts.Store) Outcome { return Pass() }

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	if err := r.Register(named("b"), named("a")); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(named("c"), named("a")); err == nil || !strings.Contains(err.Error(), `"a" registered twice`) {
		t.Errorf("duplicate: %v", err)
	}
	if got := strings.Join(r.Names(), ","); got != "a,b,c" {
		t.Errorf("names %s", got)
	}
	if tpl, ok := r.Lookup("b"); !ok || tpl.Name() != "b" {
		t.Error("lookup b")
	}
	if _, ok := r.Lookup("zz"); ok {
		t.Error("lookup of an unknown template succeeded")
	}
}

func TestOutcomes(t *testing.T) {
	ev := result.Evidence{Observed: "x"}
	for _, tc := range []struct {
		o      Outcome
		status result.Status
		reason string
		ev     int
	}{
		{Pass(ev), result.Pass, "", 1},
		{Fail(ev, ev), result.Fail, "", 2},
		{NotApplicable("no %s", "sshd"), result.NotApplicable, "no sshd", 0},
		{Errorf("read %d", 1), result.Error, "read 1", 0},
		{FromErr("sshd configuration", errors.New("denied")), result.Error, "sshd configuration: denied", 0},
	} {
		if tc.o.Status != tc.status || tc.o.Reason != tc.reason || len(tc.o.Evidence) != tc.ev {
			t.Errorf("%+v, want %s %q with %d evidence", tc.o, tc.status, tc.reason, tc.ev)
		}
	}
}
