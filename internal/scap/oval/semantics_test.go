package oval

import (
	"context"
	"strings"
	"testing"
)

const semanticsDoc = `<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5"
  xmlns:ind="http://oval.mitre.org/XMLSchema/oval-definitions-5#independent">
  <tests>
    <ind:environmentvariable58_test id="t:union" check="all" check_existence="at_least_one_exists"><ind:object object_ref="o:union"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:inter" check="all" check_existence="only_one_exists"><ind:object object_ref="o:inter"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:compl" check="all" check_existence="only_one_exists"><ind:object object_ref="o:compl"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:nested" check="all" check_existence="at_least_one_exists"><ind:object object_ref="o:nested"/><ind:state state_ref="s:nested"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:include" check="all" check_existence="only_one_exists"><ind:object object_ref="o:include"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:stateor" check="all" state_operator="OR"><ind:object object_ref="o:a"/><ind:state state_ref="s:x"/><ind:state state_ref="s:y"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:stateand" check="all"><ind:object object_ref="o:a"/><ind:state state_ref="s:x"/><ind:state state_ref="s:y"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:onlyone" check="only one"><ind:object object_ref="o:a"/><ind:state state_ref="s:x"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:none" check="none satisfy"><ind:object object_ref="o:a"/><ind:state state_ref="s:z"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:entcheck" check="all"><ind:object object_ref="o:multi"/><ind:state state_ref="s:entcheck"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:varcheck" check="all"><ind:object object_ref="o:a"/><ind:state state_ref="s:varcheck"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:missingfield" check="all"><ind:object object_ref="o:a"/><ind:state state_ref="s:missing"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:incomplete" check="all" check_existence="none_exist"><ind:object object_ref="o:incomplete"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:dne" check="all" check_existence="all_exist"><ind:object object_ref="o:dne"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:dneany" check="all" check_existence="any_exist"><ind:object object_ref="o:dne"/><ind:state state_ref="s:x"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:probeerr" check="all" check_existence="none_exist"><ind:object object_ref="o:err"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:emptyvar" check="all" check_existence="none_exist"><ind:object object_ref="o:emptyvar"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:dneatleast" check="at least one" check_existence="any_exist"><ind:object object_ref="o:dne"/><ind:state state_ref="s:x"/></ind:environmentvariable58_test>
    <ind:environmentvariable58_test id="t:ncvar" check="all" check_existence="none_exist"><ind:object object_ref="o:ncvar"/></ind:environmentvariable58_test>
    <ind:unknown_test id="t:unknown" check="all"/>
  </tests>
  <objects>
    <ind:environmentvariable58_object id="o:a"><ind:name>a</ind:name></ind:environmentvariable58_object>
    <ind:environmentvariable58_object id="o:b"><ind:name>b</ind:name></ind:environmentvariable58_object>
    <ind:environmentvariable58_object id="o:multi"><ind:name>multi</ind:name></ind:environmentvariable58_object>
    <ind:environmentvariable58_object id="o:incomplete"><ind:name>incomplete</ind:name></ind:environmentvariable58_object>
    <ind:environmentvariable58_object id="o:dne"><ind:name>dne</ind:name></ind:environmentvariable58_object>
    <ind:environmentvariable58_object id="o:err"><ind:name>err</ind:name></ind:environmentvariable58_object>
    <ind:environmentvariable58_object id="o:nc"><ind:name>PATH</ind:name></ind:environmentvariable58_object>
    <ind:environmentvariable58_object id="o:ncvar"><ind:name var_ref="v:nc"/></ind:environmentvariable58_object>
    <ind:environmentvariable58_object id="o:emptyvar"><ind:name var_ref="v:empty"/></ind:environmentvariable58_object>
    <ind:environmentvariable58_object id="o:union"><set><object_reference>o:a</object_reference><object_reference>o:b</object_reference></set></ind:environmentvariable58_object>
    <ind:environmentvariable58_object id="o:inter"><set set_operator="INTERSECTION"><object_reference>o:a</object_reference><object_reference>o:b</object_reference></set></ind:environmentvariable58_object>
    <ind:environmentvariable58_object id="o:compl"><set set_operator="COMPLEMENT"><object_reference>o:a</object_reference><object_reference>o:b</object_reference></set></ind:environmentvariable58_object>
    <ind:environmentvariable58_object id="o:nested"><set set_operator="UNION">
      <set set_operator="COMPLEMENT"><object_reference>o:a</object_reference><object_reference>o:b</object_reference></set>
      <set><object_reference>o:multi</object_reference><filter action="exclude">s:x</filter></set>
    </set></ind:environmentvariable58_object>
    <ind:environmentvariable58_object id="o:include"><ind:name>a</ind:name><filter action="include">s:y</filter></ind:environmentvariable58_object>
  </objects>
  <states>
    <ind:environmentvariable58_state id="s:x"><ind:value operation="pattern match">^x</ind:value></ind:environmentvariable58_state>
    <ind:environmentvariable58_state id="s:y"><ind:value>shared</ind:value></ind:environmentvariable58_state>
    <ind:environmentvariable58_state id="s:z"><ind:value>zzz</ind:value></ind:environmentvariable58_state>
    <ind:environmentvariable58_state id="s:nested"><ind:value operation="not equal">x1</ind:value></ind:environmentvariable58_state>
    <ind:environmentvariable58_state id="s:entcheck"><ind:value entity_check="at least one" datatype="int" operation="greater than">5</ind:value></ind:environmentvariable58_state>
    <ind:environmentvariable58_state id="s:varcheck"><ind:value var_ref="v:two" var_check="at least one"/></ind:environmentvariable58_state>
    <ind:environmentvariable58_state id="s:missing"><ind:pid datatype="int">1</ind:pid></ind:environmentvariable58_state>
  </states>
  <variables>
    <constant_variable id="v:two" datatype="string"><value>x1</value><value>shared</value></constant_variable>
    <local_variable id="v:nc" datatype="string"><split delimiter=":"><object_component object_ref="o:nc" item_field="value"/></split></local_variable>
    <local_variable id="v:empty" datatype="string"><object_component object_ref="o:dne" item_field="value"/></local_variable>
  </variables>
</oval_definitions>`

func TestTestSemantics(t *testing.T) {
	doc, err := Parse(strings.NewReader(semanticsDoc))
	if err != nil {
		t.Fatal(err)
	}
	item := func(v ...string) Item {
		var vs []Value
		for _, s := range v {
			vs = append(vs, Str(s))
		}
		return Item{Fields: map[string][]Value{"value": vs}}
	}
	data := map[string]Collected{
		"o:a":          {Items: []Item{item("x1"), item("shared")}},
		"o:b":          {Items: []Item{item("shared"), item("b2")}},
		"o:multi":      {Items: []Item{item("1", "9"), item("x2")}},
		"o:incomplete": {Flag: FlagIncomplete, Message: "permission denied on /proc"},
		"o:dne":        {},
		"o:nc":         {Flag: FlagNotCollected, Message: "offline"},
		"o:include":    {Items: []Item{item("x1"), item("shared")}},
	}
	probe := ProbeFunc(func(_ context.Context, obj *Object, _ *Env) (Collected, error) {
		if obj.ID == "o:err" {
			return Collected{}, errTest
		}
		return data[obj.ID], nil
	})
	ev := NewEvaluator(doc, Env{Probes: Registry{"environmentvariable58": probe}})
	for id, want := range map[string]ResultValue{
		"t:union":        True,
		"t:inter":        True,  // only "shared"
		"t:compl":        True,  // only "x1"
		"t:nested":       False, // {x1} ∪ {1,9} (x2 filtered out): x1 fails "not equal x1"
		"t:include":      True,  // only "shared" kept
		"t:stateor":      True,  // x1 matches s:x, shared matches s:y
		"t:stateand":     False,
		"t:onlyone":      True,
		"t:none":         True,
		"t:entcheck":     Error, // ("1","9") has one value > 5, but "x2" is not an int
		"t:varcheck":     True,
		"t:missingfield": False,
		"t:incomplete":   Unknown,
		"t:dne":          False,
		"t:dneany":       True,
		"t:probeerr":     Error,
		"t:emptyvar":     True,
		"t:unknown":      Unknown,
		"t:dneatleast":   True,    // no item to compare: existence decides
		"t:ncvar":        Unknown, // the variable's source was not collected
	} {
		te := ev.test(context.Background(), id, 0)
		if te.Result != want {
			t.Errorf("%s = %s (%s), want %s", id, te.Result, te.Message, want)
		}
	}
}

type testErr struct{}

func (testErr) Error() string { return "probe failed" }

var errTest = testErr{}
