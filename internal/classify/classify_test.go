package classify

import (
	"strings"
	"testing"
)

func TestCatalogue(t *testing.T) {
	counts := map[Class]int{}
	for _, c := range Categories() {
		counts[c.Class]++
	}
	// Annex III: 19 class I and 4 class II categories; Annex IV: 3.
	if counts[ImportantI] != 19 || counts[ImportantII] != 4 || counts[Critical] != 3 {
		t.Fatalf("category counts %v", counts)
	}
	if c, ok := Lookup(" i.11 "); !ok || c.Title != "Operating systems" {
		t.Fatalf("Lookup(i.11) = %v %v", c, ok)
	}
}

func verdicts(r *Result) string {
	var parts []string
	for _, rt := range r.Routes {
		parts = append(parts, rt.Module+"="+string(rt.Verdict))
	}
	return strings.Join(parts, " ")
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		in    Input
		class Class
		want  string
	}{
		{"default", Input{}, Default, "A=open B+C=open H=open scheme=conditional"},
		{"default with certificate", Input{Scheme: AssuranceHigh}, Default, "A=open B+C=open H=open scheme=open"},
		{"class I unanswered", Input{Categories: []string{"I.11"}}, ImportantI, "A=conditional B+C=open H=open scheme=conditional"},
		{"class I standards in full", Input{Categories: []string{"I.11"}, Standards: StandardsFull}, ImportantI, "A=open B+C=open H=open scheme=conditional"},
		{"class I standards in part", Input{Categories: []string{"I.12"}, Standards: StandardsPartial}, ImportantI, "A=closed B+C=open H=open scheme=conditional"},
		{"class I no standards", Input{Categories: []string{"I.5"}, Standards: StandardsNone}, ImportantI, "A=closed B+C=open H=open scheme=conditional"},
		{"class I basic certificate is not enough", Input{Categories: []string{"I.5"}, Standards: StandardsNone, Scheme: AssuranceBasic}, ImportantI, "A=closed B+C=open H=open scheme=conditional"},
		{"class I substantial certificate", Input{Categories: []string{"I.5"}, Scheme: AssuranceSubstantial}, ImportantI, "A=open B+C=open H=open scheme=open"},
		{"class I open source", Input{Categories: []string{"I.2"}, FreeOpenSource: true}, ImportantI, "A=open B+C=open H=open scheme=conditional"},
		{"class II", Input{Categories: []string{"II.2"}, Standards: StandardsFull}, ImportantII, "A=closed B+C=open H=open scheme=conditional"},
		{"class II open source", Input{Categories: []string{"II.1"}, FreeOpenSource: true}, ImportantII, "A=open B+C=open H=open scheme=conditional"},
		{"strictest wins", Input{Categories: []string{"I.11", "II.2", "I.11"}}, ImportantII, "A=closed B+C=open H=open scheme=conditional"},
		{"critical", Input{Categories: []string{"C.3"}, FreeOpenSource: true, Standards: StandardsFull}, Critical, "A=closed B+C=open H=open scheme=conditional"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Classify(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if r.Class != tc.class {
				t.Errorf("class %s, want %s", r.Class, tc.class)
			}
			if got := verdicts(r); got != tc.want {
				t.Errorf("routes %s, want %s", got, tc.want)
			}
			for _, rt := range r.Routes {
				if rt.Why == "" || rt.Title == "" {
					t.Errorf("route %s without reason or title", rt.Module)
				}
			}
			if len(r.Reasons) == 0 {
				t.Error("no reasons")
			}
		})
	}
}

func TestClassifyRejects(t *testing.T) {
	for _, in := range []Input{
		{Categories: []string{"III.1"}},
		{Standards: "most"},
		{Scheme: "medium"},
	} {
		if _, err := Classify(in); err == nil {
			t.Errorf("Classify(%+v) accepted", in)
		}
	}
}

func TestTable(t *testing.T) {
	r, err := Classify(Input{Categories: []string{"I.11"}, Standards: StandardsNone})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := r.Table(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"important product, class I (Annex III)", "I.11", "closed ", "Notes:"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := ListTable(&b); err != nil || strings.Count(b.String(), "\n") != 27 {
		t.Fatalf("list: %v\n%s", err, b.String())
	}
}
