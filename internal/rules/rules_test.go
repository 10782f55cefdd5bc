package rules

import (
	"context"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
)

// echoTemplate accepts {value: string} and records what it was given.
type echoTemplate struct{}

type echoArgs struct {
	Value any `yaml:"value"`
}

type echoCheck struct{ v any }

func (echoTemplate) Name() string { return "echo" }
func (echoTemplate) New(n *yaml.Node) (check.Check, error) {
	var a echoArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if a.Value == nil {
		return nil, check.ArgErrorf(n, "value is required")
	}
	return echoCheck{a.Value}, nil
}
func (echoCheck) Evaluate(context.Context, *facts.Store) check.Outcome { return check.Pass() }

const profilesYAML = "profiles:\n  - id: default\n  - id: strict\n    extends: [default]\n"

func testRegistry(t *testing.T) *check.Registry {
	reg := check.NewRegistry()
	if err := reg.Register(echoTemplate{}); err != nil {
		t.Fatal(err)
	}
	return reg
}

const goodRule = `rules:
  - id: a.rule
    title: A rule
    description: d
    rationale: r
    severity: high
    profiles: [default]
    params:
      v: {default: [x, y]}
    references: {cra: [CRA.A1.P1.2b]}
    check:
      echo:
        value: ${v}
`

func TestParseRulesErrorsCarryLines(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"good", goodRule, ""},
		{"syntax", "rules:\n  - id: [\n", "r.yaml:2:"},
		{"unknown field", strings.Replace(goodRule, "    rationale: r\n", "    rationale: r\n    colour: red\n", 1), "r.yaml:6: unknown field \"colour\""},
		{"unknown template", strings.Replace(goodRule, "echo:", "nope:", 1), "r.yaml:12: rule \"a.rule\": unknown check template \"nope\""},
		{"bad arg", strings.Replace(goodRule, "value: ${v}", "valu: 1", 1), "r.yaml:13: rule \"a.rule\": echo: unknown field \"valu\""},
		{"unknown param", strings.Replace(goodRule, "${v}", "${w}", 1), "unknown parameter ${w}"},
		{"bad severity", strings.Replace(goodRule, "high", "urgent", 1), "unknown severity"},
		{"bad cra", strings.Replace(goodRule, "CRA.A1.P1.2b", "CRA.A1.P1.2z", 1), "not a CRA Annex I id"},
		{"no cra", strings.Replace(goodRule, "references: {cra: [CRA.A1.P1.2b]}", "references: {nist_800_53: [AC-3]}", 1), "references.cra"},
		{"bad profile", strings.Replace(goodRule, "[default]", "[lax]", 1), "unknown profile \"lax\""},
		{"bad id", strings.Replace(goodRule, "a.rule", "A Rule", 1), "rule id \"A Rule\""},
		{"two templates", strings.Replace(goodRule, "      echo:\n        value: ${v}\n", "      echo: {value: 1}\n      other: {}\n", 1), "exactly one template"},
		{"duplicate", goodRule + strings.TrimPrefix(goodRule, "rules:\n"), "r.yaml:14: duplicate rule id \"a.rule\""},
		{"not a mapping", "- a\n- b\n", "expected a YAML mapping"},
		{"known trait", strings.Replace(goodRule, "    severity: high\n", "    severity: high\n    requires: [kernel]\n", 1), ""},
		{"unknown trait", strings.Replace(goodRule, "    severity: high\n", "    severity: high\n    requires: [kernal]\n", 1), "r.yaml:2: rule \"a.rule\": requires: unknown trait \"kernal\" (known: init, kernel)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := ParseProfiles("p.yaml", []byte(profilesYAML))
			if err != nil {
				t.Fatal(err)
			}
			err = ParseRules("r.yaml", []byte(tc.yaml), &Set{}, ps, testRegistry(t))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParamSubstitutionAndProfiles(t *testing.T) {
	ps, _ := ParseProfiles("p.yaml", []byte(profilesYAML+"    params: {a.rule: {v: z}}\n"))
	set := &Set{}
	reg := testRegistry(t)
	if err := ParseRules("r.yaml", []byte(goodRule), set, ps, reg); err != nil {
		t.Fatal(err)
	}
	r, _ := set.Lookup("a.rule")
	c, err := r.Instantiate(reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.(echoCheck).v; len(got.([]any)) != 2 {
		t.Fatalf("list parameter substituted as %#v", got)
	}
	c, _ = r.Instantiate(reg, ps.ParamValues("strict", "a.rule"))
	if got := c.(echoCheck).v; got != "z" {
		t.Fatalf("profile override gave %#v", got)
	}
	sel, _ := ps.Select(set, "strict")
	if len(sel) != 1 {
		t.Fatalf("strict should include default's rules, got %d", len(sel))
	}
}

func FuzzParseRules(f *testing.F) {
	f.Add([]byte(goodRule))
	f.Add([]byte("rules:\n  - id: x\n    check: {echo: {value: &a [*a]}}\n"))
	f.Add([]byte("rules: [{id: a.b, check: {echo: {value: '${v}${w}'}}}]"))
	ps, _ := ParseProfiles("p.yaml", []byte(profilesYAML))
	reg := check.NewRegistry()
	reg.Register(echoTemplate{})
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = ParseRules("f.yaml", data, &Set{}, ps, reg)
	})
}

func TestParamPrecedenceNearerWins(t *testing.T) {
	ps, err := ParseProfiles("p.yaml", []byte(`profiles:
  - id: cc
    params: {r: {v: cc, w: cc}}
  - id: aa
    extends: [cc]
  - id: bb
    params: {r: {v: bb}}
  - id: pp
    extends: [aa, bb]
`))
	if err != nil {
		t.Fatal(err)
	}
	got := ps.ParamValues("pp", "r")
	if got["v"] != "bb" || got["w"] != "cc" {
		t.Fatalf("ParamValues = %v; want the parent b over the grandparent c", got)
	}
}

// TestAddFilesRefusesBuiltinIDs: an organisation's rule file may not
// reuse a built-in id; a clash between two own files is a duplicate.
func TestAddFilesRefusesBuiltinIDs(t *testing.T) {
	ps, err := ParseProfiles("p.yaml", []byte(profilesYAML))
	if err != nil {
		t.Fatal(err)
	}
	set := &Set{}
	if err := ParseRules("builtin.yaml", []byte(goodRule), set, ps, testRegistry(t)); err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(goodRule, "a.rule", "org.rule", 1)
	err = AddFiles(set, ps, testRegistry(t), []File{{"own.yaml", []byte(goodRule)}, {"a.yaml", []byte(other)}, {"b.yaml", []byte(other)}})
	for _, want := range []string{`own.yaml:2: rule id "a.rule" is a built-in rule (builtin.yaml:2)`, `b.yaml:2: duplicate rule id "org.rule" (first defined at a.yaml:2)`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want %q", err, want)
		}
	}
}
