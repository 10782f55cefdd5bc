package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/render"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/rules"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// manyPaths fails with one evidence item per offending path, as a
// filesystem-wide check on a hostile tree may.
type manyPaths int

func (n manyPaths) Evaluate(context.Context, *facts.Store) check.Outcome {
	ev := make([]result.Evidence, n)
	for i := range ev {
		ev[i] = result.Evidence{Observed: fmt.Sprintf("mode 0777 %s", strings.Repeat("x", 200)), File: fmt.Sprintf("/srv/data/%07d", i)}
	}
	ev[0].Observed = strings.Repeat("y", 1<<20)
	return check.Fail(ev...)
}

// TestReportsBounded scans a rule with 200,000 failing paths: each result
// keeps a bounded number of evidence items, ends with "and N more", and
// every renderer's report stays small.
func TestReportsBounded(t *testing.T) {
	const n = 200000
	e := &Engine{Version: "test"}
	plan := []Planned{{Rule: &rules.Rule{ID: "fs.many", Title: "many", Severity: result.SeverityHigh}, Check: manyPaths(n)}}
	tg := targettest.Tree(t, map[string]string{"etc/hostname": "h\n"})
	for _, tc := range []struct {
		max, keep int
	}{{0, result.DefaultMaxEvidence}, {10, 10}} {
		rep, err := e.Scan(context.Background(), tg, plan, Options{MaxEvidence: tc.max})
		if err != nil {
			t.Fatal(err)
		}
		res := rep.Results[0]
		if len(res.Evidence) != tc.keep+1 || res.EvidenceOmitted != n-tc.keep {
			t.Fatalf("max %d: %d evidence items, %d omitted", tc.max, len(res.Evidence), res.EvidenceOmitted)
		}
		if last := res.Evidence[tc.keep].Observed; last != fmt.Sprintf("and %d more", n-tc.keep) {
			t.Errorf("last evidence = %q", last)
		}
		if l := len(res.Evidence[0].Observed); l > result.MaxEvidenceText+64 {
			t.Errorf("first evidence text is %d bytes", l)
		}
		if tc.max != 0 {
			continue
		}
		for _, name := range render.Default().Names() {
			var buf strings.Builder
			r, err := render.Default().Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Render(&buf, rep, render.Options{Verbose: true}); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if buf.Len() > 1<<20 {
				t.Errorf("%s report is %d bytes", name, buf.Len())
			}
			if !strings.Contains(buf.String(), fmt.Sprintf("and %d more", n-tc.keep)) {
				t.Errorf("%s report does not say how many evidence items were left out", name)
			}
		}
	}
}
