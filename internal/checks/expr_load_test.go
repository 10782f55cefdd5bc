package checks_test

import (
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/checks"
	"github.com/cradle-cra/cradle/internal/rules"
)

// TestExprLoadErrorPosition loads a rule file whose expression does not
// type-check: the loader must name the file and the expression's line.
func TestExprLoadErrorPosition(t *testing.T) {
	reg, err := checks.Registry()
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := rules.ParseProfiles("profiles.yaml", []byte("profiles:\n  - id: default\n    title: Default\n    description: d\n"))
	if err != nil {
		t.Fatal(err)
	}
	src := `rules:
  - id: product.bad_expr
    title: t
    description: d
    rationale: r
    severity: low
    profiles: [default]
    references: {cra: [CRA.A1.P1.2b]}
    check:
      expr:
        expr: >-
          os.id == 1 + "x"
`
	err = rules.ParseRules("bad.yaml", []byte(src), &rules.Set{}, profiles, reg)
	if err == nil {
		t.Fatal("a mistyped expression loaded")
	}
	if msg := err.Error(); !strings.Contains(msg, "bad.yaml:11") || !strings.Contains(msg, "no matching overload") {
		t.Errorf("error %q lacks the position or the reason", msg)
	} else {
		t.Log(msg)
	}
}
