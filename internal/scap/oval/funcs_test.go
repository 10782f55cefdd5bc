package oval

import (
	"context"
	"strings"
	"testing"
	"time"
)

// evalLocal evaluates a local_variable whose component XML is given.
func evalLocal(t *testing.T, component string, extra string) ([]Value, error) {
	t.Helper()
	doc := `<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5"
  xmlns:ind="http://oval.mitre.org/XMLSchema/oval-definitions-5#independent">
  <objects>
    <ind:textfilecontent54_object id="o:1" version="1"><ind:filepath>/f</ind:filepath></ind:textfilecontent54_object>
  </objects>
  <variables>
    <constant_variable id="v:list" datatype="string" version="1"><value>b</value><value>a</value><value>b</value></constant_variable>
    <constant_variable id="v:n" datatype="int" version="1"><value>2</value><value>3</value></constant_variable>
    <local_variable id="v:self" datatype="string" version="1"><variable_component var_ref="v:self"/></local_variable>
    <local_variable id="v:x" datatype="string" version="1">` + component + `</local_variable>` + extra + `
  </variables>
</oval_definitions>`
	d, err := Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	probe := ProbeFunc(func(context.Context, *Object, *Env) (Collected, error) {
		return Collected{Items: []Item{
			{Fields: map[string][]Value{"subexpression": {Str("x1"), Str("x2")}, "rec": {{Datatype: Record, Record: map[string]Value{"f": Str("r1")}}}}},
			{Status: StatusDoesNotExist, Fields: map[string][]Value{"subexpression": {Str("gone")}}},
		}}, nil
	})
	ev := NewEvaluator(d, Env{Probes: Registry{"textfilecontent54": probe}, Limits: Limits{MaxValues: 50}})
	return ev.variable(context.Background(), "v:x", 0)
}

func texts(vs []Value) string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Text)
	}
	return strings.Join(out, "|")
}

func TestLocalVariableFunctions(t *testing.T) {
	defer func(f func() time.Time) { now = f }(now)
	now = func() time.Time { return time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name, comp, want string
	}{
		{"literal", `<literal_component>hi</literal_component>`, "hi"},
		{"variable", `<variable_component var_ref="v:list"/>`, "b|a|b"},
		{"object item_field", `<object_component object_ref="o:1" item_field="subexpression"/>`, "x1|x2"},
		{"object record_field", `<object_component object_ref="o:1" item_field="rec" record_field="f"/>`, "r1"},
		{"concat cartesian", `<concat><literal_component>p-</literal_component><variable_component var_ref="v:n"/></concat>`, "p-2|p-3"},
		{"arithmetic add", `<arithmetic arithmetic_operation="add"><variable_component var_ref="v:n"/><literal_component datatype="int">10</literal_component></arithmetic>`, "12|13"},
		{"arithmetic multiply", `<arithmetic arithmetic_operation="multiply"><literal_component>4</literal_component><literal_component>86400</literal_component></arithmetic>`, "345600"},
		{"arithmetic float", `<arithmetic arithmetic_operation="add"><literal_component>1.5</literal_component><literal_component>1</literal_component></arithmetic>`, "2.5"},
		{"begin", `<begin character="/"><literal_component>etc</literal_component><literal_component>/usr</literal_component></begin>`, "/etc|/usr"},
		{"end", `<end character="/"><literal_component>etc</literal_component></end>`, "etc/"},
		{"count", `<count><variable_component var_ref="v:list"/><literal_component>z</literal_component></count>`, "4"},
		{"unique", `<unique><variable_component var_ref="v:list"/></unique>`, "b|a"},
		{"escape_regex", `<escape_regex><literal_component>a.b*c[d]</literal_component></escape_regex>`, `a\.b\*c\[d\]`},
		{"regex_capture", `<regex_capture pattern="^umask\s+(\d+)"><literal_component>umask 027</literal_component></regex_capture>`, "027"},
		{"regex_capture lookahead", `<regex_capture pattern="(\d+)(?=x)"><literal_component>12 34x</literal_component></regex_capture>`, "34"},
		{"regex_capture no match", `<regex_capture pattern="(\d+)"><literal_component>none</literal_component></regex_capture>`, ""},
		{"split", `<split delimiter=","><literal_component>a,b,,c</literal_component></split>`, "a|b||c"},
		{"substring", `<substring substring_start="2" substring_length="3"><literal_component>abcdef</literal_component></substring>`, "bcd"},
		{"substring to end", `<substring substring_start="4" substring_length="-1"><literal_component>abcdef</literal_component></substring>`, "def"},
		{"substring past end", `<substring substring_start="9" substring_length="2"><literal_component>abc</literal_component></substring>`, ""},
		{"time_difference one", `<time_difference format_2="seconds_since_epoch"><literal_component>1767225600</literal_component></time_difference>`, "86400"},
		{"time_difference two", `<time_difference format_1="year_month_day" format_2="year_month_day"><literal_component>20260101</literal_component><literal_component>2026-01-03</literal_component></time_difference>`, "172800"},
		{"glob_to_regex", `<glob_to_regex><literal_component>/etc/*.conf</literal_component></glob_to_regex>`, `^/etc/[^./][^/]*\.conf$`},
		{"glob_to_regex class", `<glob_to_regex><literal_component>/a/file[!0-9]?</literal_component></glob_to_regex>`, `^/a/file[^0-9][^/]$`},
		{"glob_to_regex escape", `<glob_to_regex><literal_component>a\*</literal_component></glob_to_regex>`, `^a\*$`},
	} {
		got, err := evalLocal(t, tc.comp, "")
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if texts(got) != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, texts(got), tc.want)
		}
	}
}

func TestLocalVariableErrors(t *testing.T) {
	for name, comp := range map[string]string{
		"self reference":  `<variable_component var_ref="v:self"/>`,
		"unknown var":     `<variable_component var_ref="v:none"/>`,
		"bad arithmetic":  `<arithmetic arithmetic_operation="add"><literal_component>x</literal_component></arithmetic>`,
		"bad substring":   `<substring substring_start="a" substring_length="1"><literal_component>x</literal_component></substring>`,
		"bad regex":       `<regex_capture pattern="("><literal_component>x</literal_component></regex_capture>`,
		"unknown func":    `<frobnicate><literal_component>x</literal_component></frobnicate>`,
		"bad time":        `<time_difference><literal_component>yesterday</literal_component></time_difference>`,
		"too many values": `<concat><variable_component var_ref="v:list"/><variable_component var_ref="v:list"/><variable_component var_ref="v:list"/><variable_component var_ref="v:list"/></concat>`,
	} {
		if got, err := evalLocal(t, comp, ""); err == nil {
			t.Errorf("%s: got %q, want error", name, texts(got))
		}
	}
}

func TestGlobToRegexMatches(t *testing.T) {
	re, _ := globToRegex("/etc/*.conf", false)
	r, err := CompileRegex(re)
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{"/etc/a.conf": true, "/etc/.hidden.conf": false, "/etc/x/a.conf": false, "/etc/.conf": false} {
		if ok, _ := r.MatchString(s); ok != want {
			t.Errorf("%s matches %s: %v, want %v", re, s, ok, want)
		}
	}
}
