package cra

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestAnnexI(t *testing.T) {
	pts := AnnexI()
	if len(pts) != 1+13+8 {
		t.Fatalf("%d points, want point (1), (2)(a)-(m) of Part I and 8 of Part II", len(pts))
	}
	idForm := regexp.MustCompile(`^CRA\.A1\.P(1\.(1|2[a-m])|2\.[1-8])$`)
	seen := map[string]bool{}
	for i, p := range pts {
		if !idForm.MatchString(p.ID) || seen[p.ID] {
			t.Errorf("point %d: bad or duplicate id %q", i, p.ID)
		}
		seen[p.ID] = true
		if p.Title == "" || p.Requirement == "" || !strings.HasPrefix(p.Official, "Annex I, Part ") {
			t.Errorf("%s: incomplete %+v", p.ID, p)
		}
		if want := int(p.ID[len("CRA.A1.P")] - '0'); p.Part != want {
			t.Errorf("%s: part %d", p.ID, p.Part)
		}
		if len(p.Title) > 40 {
			t.Errorf("%s: title %q too long for a chart label", p.ID, p.Title)
		}
		got, ok := Lookup(p.ID)
		if !ok || got != p {
			t.Errorf("Lookup(%s) = %+v, %v", p.ID, got, ok)
		}
		if PartTitle(p.Part) == "" {
			t.Errorf("%s: no part title", p.ID)
		}
	}
	if !slices.IsSortedFunc(pts, func(a, b Point) int { return Compare(a.ID, b.ID) }) {
		t.Error("AnnexI is not in Compare order")
	}
	pts[0].Title = "changed"
	if AnnexI()[0].Title == "changed" {
		t.Error("AnnexI returns the catalogue itself, not a copy")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		ref string
		ok  bool
	}{
		{"CRA.A1.P1.1", true},
		{"CRA.A1.P1.2b", true},
		{"CRA.A1.P1.2m", true},
		{"CRA.A1.P2.8", true},
		{"CRA.A1.P1.2z", false},
		{"CRA.A1.P1.2", false},
		{"CRA.A1.P2.9", false},
		{"cra.a1.p1.2b", false},
		{" CRA.A1.P1.2b", false},
		{"", false},
	} {
		err := Validate(tc.ref)
		if (err == nil) != tc.ok {
			t.Errorf("Validate(%q) = %v, want ok=%v", tc.ref, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "not a CRA Annex I id") {
			t.Errorf("Validate(%q) error %q does not say what is expected", tc.ref, err)
		}
	}
}

func TestCompareAndTitle(t *testing.T) {
	ids := []string{"X.unknown", "CRA.A1.P2.1", "CRA.A1.P1.2j", "A.unknown", "CRA.A1.P1.1", "CRA.A1.P1.2b"}
	slices.SortFunc(ids, Compare)
	want := []string{"CRA.A1.P1.1", "CRA.A1.P1.2b", "CRA.A1.P1.2j", "CRA.A1.P2.1", "A.unknown", "X.unknown"}
	if !slices.Equal(ids, want) {
		t.Errorf("sorted %v, want %v", ids, want)
	}
	if Title("CRA.A1.P1.2d") != "Protection from unauthorised access" || Title("nope") != "" {
		t.Error("Title")
	}
}
