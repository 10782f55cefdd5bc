package oval

import "testing"

// Each row: operation, datatype, state value (want), collected value (got).
func TestMatchEntity(t *testing.T) {
	for _, tc := range []struct {
		op        Operation
		dt        Datatype
		want, got string
		ok        bool
		err       bool
	}{
		{Equals, String, "abc", "abc", true, false},
		{Equals, String, "abc", "ABC", false, false},
		{NotEqual, String, "abc", "abd", true, false},
		{CaseInsensitiveEquals, String, "abc", "ABC", true, false},
		{CaseInsensitiveNotEqual, String, "abc", "ABC", false, false},
		{GreaterThan, String, "a", "b", false, true},
		{PatternMatch, String, `^\d+$`, "123", true, false},
		{PatternMatch, String, `^a(?!b)`, "ac", true, false},
		{PatternMatch, String, `^a(?!b)`, "ab", false, false},
		{PatternMatch, String, `(`, "x", false, true},
		{Equals, Int, "10", "010", true, false},
		{NotEqual, Int, "10", "11", true, false},
		{GreaterThan, Int, "10", "11", true, false},
		{GreaterThan, Int, "10", "10", false, false},
		{LessThan, Int, "10", "-3", true, false},
		{GreaterThanOrEqual, Int, "10", "10", true, false},
		{LessThanOrEqual, Int, "10", "11", false, false},
		{BitwiseAnd, Int, "6", "7", true, false},
		{BitwiseAnd, Int, "6", "5", false, false},
		{BitwiseOr, Int, "7", "5", true, false},
		{BitwiseOr, Int, "5", "7", false, false},
		{Equals, Int, "99999999999999999999", "99999999999999999999", true, false},
		{Equals, Int, "x", "1", false, true},
		{PatternMatch, Int, `^1`, "12", true, false},
		{Equals, Float, "1.5", "1.50", true, false},
		{GreaterThan, Float, "1.5", "2e0", true, false},
		{LessThan, Float, "1.5", "nope", false, true},
		{Equals, Boolean, "true", "1", true, false},
		{NotEqual, Boolean, "false", "1", true, false},
		{Equals, Boolean, "yes", "1", false, true},
		{GreaterThan, Boolean, "true", "1", false, true},
		{Equals, Version, "1.2", "1.2.0", true, false},
		{GreaterThan, Version, "1.2.9", "1.10", true, false},
		{LessThan, Version, "2.0", "1.99.99", true, false},
		{GreaterThanOrEqual, EVRString, "0:1.2-3", "0:1.2-10", true, false},
		{LessThan, EVRString, "1:1.0-1", "0:9.9-9", true, false},
		{GreaterThanOrEqual, DebianEVRString, "1:9.2p1-2+deb12u3", "1:9.2p1-2+deb12u5", true, false},
		{LessThan, DebianEVRString, "1.0", "1.0~rc1", true, false},
		{GreaterThan, DebianEVRString, "1.0-1", "1.0-1+b1", true, false},
		{Equals, DebianEVRString, "0:1.0-1", "1.0-1", true, false},
		{LessThan, DebianEVRString, "2:1", "1:9", true, false},
		{Equals, DebianEVRString, "1.0", "bad!", false, true},
		{Equals, Binary, "0aFF", "0AFF", true, false},
		{NotEqual, Binary, "0a", "0b", true, false},
		{Equals, IPv4Address, "10.0.0.1", "10.0.0.1", true, false},
		{GreaterThan, IPv4Address, "10.0.0.1", "10.0.0.2", true, false},
		{SubsetOf, IPv4Address, "10.0.0.0/8", "10.1.0.0/16", true, false},
		{SubsetOf, IPv4Address, "10.1.0.0/16", "10.0.0.0/8", false, false},
		{SupersetOf, IPv4Address, "10.1.0.0/16", "10.0.0.0/8", true, false},
		{Equals, IPv6Address, "::1", "0::1", true, false},
		{Equals, IPv4Address, "::1", "127.0.0.1", false, true},
		{Equals, "fileset_revision", "1", "1", false, true},
	} {
		ok, err := MatchEntity(tc.op, tc.dt, tc.want, tc.got)
		if (err != nil) != tc.err {
			t.Errorf("%s %s %q %q: err %v, want err=%v", tc.op, tc.dt, tc.want, tc.got, err, tc.err)
			continue
		}
		if ok != tc.ok {
			t.Errorf("%s %s want=%q got=%q: %v, want %v", tc.op, tc.dt, tc.want, tc.got, ok, tc.ok)
		}
	}
}

func TestObjectEntityVarCheck(t *testing.T) {
	e := &ObjectEntity{Operation: Equals, Datatype: String, Values: []string{"a", "b"}, VarCheck: CheckAtLeastOne}
	if ok, _ := e.Match("b"); !ok {
		t.Error("at least one: b should match")
	}
	e.VarCheck = CheckAll
	if ok, _ := e.Match("b"); ok {
		t.Error("all: b should not match a and b")
	}
	e.VarCheck = CheckNoneSatisfy
	if ok, _ := e.Match("c"); !ok {
		t.Error("none satisfy: c matches neither")
	}
	e.VarCheck = CheckOnlyOne
	if ok, _ := e.Match("a"); !ok {
		t.Error("only one: a")
	}
	var nilEnt *ObjectEntity
	if ok, _ := nilEnt.Match("x"); !ok {
		t.Error("absent entity matches everything")
	}
}

func TestRegexEngines(t *testing.T) {
	r, err := CompileRegex(`^\s*foo\s+(\d+)`)
	if err != nil || r.Engine != EngineRE2 {
		t.Fatalf("plain pattern: %v %v", r, err)
	}
	r, err = CompileRegex(`^(?=.*x)(\w)\1`)
	if err != nil || r.Engine != EngineRegexp2 {
		t.Fatalf("backreference pattern: %v %v", r, err)
	}
	m, err := r.FindSubmatch("aax")
	if err != nil || len(m) != 2 || m[1] != "a" {
		t.Errorf("regexp2 submatch = %q, %v", m, err)
	}
	all, err := r.FindAllSubmatch("bb x cc", -1)
	if err != nil || len(all) != 1 {
		t.Errorf("FindAllSubmatch = %q, %v", all, err)
	}
}
