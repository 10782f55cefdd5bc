package risk

import (
	"strings"
	"testing"
)

func TestStarterParses(t *testing.T) {
	b, err := Starter()
	if err != nil {
		t.Fatal(err)
	}
	f, warns, err := Parse("risk.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Requirements) != 22 {
		t.Errorf("%d requirements, want 22", len(f.Requirements))
	}
	if len(warns) == 0 {
		t.Error("starter without controls should warn")
	}
}

func TestParseErrors(t *testing.T) {
	good, err := Starter()
	if err != nil {
		t.Fatal(err)
	}
	base := string(good)
	for _, tc := range []struct{ name, old, new, want string }{
		{"unknown key", "scope:", "scoop:", "risk.yaml:5:"},
		{"bad likelihood", "likelihood: likely", "likelihood: often", `likelihood "often"`},
		{"bad impact", "impact: severe}\n    controls", "impact: huge}\n    controls", `impact "huge"`},
		{"unknown asset", "assets: [A1]", "assets: [A9]", `unknown asset "A9"`},
		{"unknown control", "controls: [C1]", "controls: [C7]", `unknown control "C7"`},
		{"missing point", "  - id: CRA.A1.P2.8   # Timely, free security updates\n    applicable: true\n    controls: []\n", "", "missing: CRA.A1.P2.8"},
		{"unknown point", "id: CRA.A1.P2.8 ", "id: CRA.A1.P2.9 ", "not a CRA Annex I id"},
		{"no justification", "id: CRA.A1.P1.2m   # Secure deletion and transfer of data\n    applicable: true", "id: CRA.A1.P1.2m\n    applicable: false", "CRA.A1.P1.2m is not applicable: a justification is required"},
		{"unanswered", "id: CRA.A1.P1.2g   # Data minimisation\n    applicable: true", "id: CRA.A1.P1.2g", "applicable is required"},
		{"twice", "id: CRA.A1.P1.2g ", "id: CRA.A1.P1.2f ", "assessed twice"},
		{"evidence outside", "evidence: []", "evidence: [../secret]", "want a relative path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(base, tc.old, tc.new, 1)
			if src == base {
				t.Fatalf("replacement %q did not apply", tc.old)
			}
			_, _, err := Parse("risk.yaml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNotApplicableWithJustification(t *testing.T) {
	good, _ := Starter()
	src := strings.Replace(string(good), "id: CRA.A1.P1.2m   # Secure deletion and transfer of data\n    applicable: true",
		"id: CRA.A1.P1.2m\n    applicable: false\n    justification: the product stores no user data", 1)
	f, _, err := Parse("risk.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := f.Requirement("CRA.A1.P1.2m")
	if r.IsApplicable() {
		t.Error("2m should not apply")
	}
}

func TestScores(t *testing.T) {
	for _, tc := range []struct {
		r     Rating
		score int
		level string
	}{
		{Rating{"rare", "negligible"}, 1, "low"},
		{Rating{"possible", "moderate"}, 9, "medium"},
		{Rating{"likely", "major"}, 16, "high"},
		{Rating{"almost_certain", "severe"}, 25, "critical"},
		{Rating{"often", "severe"}, 0, "unrated"},
	} {
		if s := tc.r.Score(); s != tc.score || Level(s) != tc.level {
			t.Errorf("%v: %d %s, want %d %s", tc.r, s, Level(s), tc.score, tc.level)
		}
	}
}

func FuzzParse(f *testing.F) {
	good, _ := Starter()
	f.Add(good)
	f.Add([]byte("schema_version: 1\nrequirements: [{id: x}]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		Parse("risk.yaml", b) //nolint:errcheck // must not panic
	})
}
