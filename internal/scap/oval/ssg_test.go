package oval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// ssgDir holds the SCAP Security Guide content scripts/fixture-scap.sh
// unpacks; the test skips when it is absent.
const ssgDir = "/var/cache/cradle-fixtures/scap"

// TestSSGContent parses every OVAL file of the fixture content and
// evaluates each definition with no probes: every function, datatype and
// operation the content uses must be understood, so the only errors left
// name an unimplemented probe or a missing external value.
func TestSSGContent(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(ssgDir, "*/root/usr/share/xml/scap/ssg/content/ssg-*-oval.xml"))
	if len(files) == 0 {
		t.Skip("no SSG content in " + ssgDir)
	}
	if testing.Short() {
		files = files[:1]
	}
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := Parse(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		ev := NewEvaluator(doc, Env{})
		other := map[string]int{}
		for _, id := range doc.DefinitionIDs {
			res, err := ev.Definition(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			for _, te := range res.Tests {
				if te.Result == Error && !strings.Contains(te.Message, "probe not implemented") &&
					!strings.Contains(te.Message, "not exported") {
					other[te.Message]++
				}
			}
		}
		var msgs []string
		for m := range other {
			msgs = append(msgs, m)
		}
		sort.Strings(msgs)
		for _, m := range msgs {
			t.Errorf("%s: %d× %s", filepath.Base(path), other[m], m)
		}
		engines := map[string]int{}
		for _, problem := range checkConstructs(doc, engines) {
			t.Errorf("%s: %s", filepath.Base(path), problem)
		}
		t.Logf("%s: regex engines %v", filepath.Base(path), engines)
		t.Logf("%s: %d definitions, %d tests, %d objects", filepath.Base(path), len(doc.Definitions), len(doc.Tests), len(doc.Objects))
	}
}

// checkConstructs lists operations, datatypes, functions and patterns the
// engine would refuse.
func checkConstructs(doc *Document, engines map[string]int) []string {
	var problems []string
	seen := map[string]bool{}
	report := func(s string) {
		if !seen[s] {
			seen[s] = true
			problems = append(problems, s)
		}
	}
	ents := func(es []EntityDef) {
		for _, e := range es {
			if _, err := MatchEntity(e.Operation, e.Datatype, "1", "1"); err != nil && e.Operation != PatternMatch &&
				!strings.Contains(err.Error(), "not a Debian version") && !strings.Contains(err.Error(), "address") {
				report(fmt.Sprintf("%s/%s: %v", e.Operation, e.Datatype, err))
			}
			if e.Operation == PatternMatch && e.VarRef == "" {
				re, err := CompileRegex(e.Text)
				if err != nil {
					report(err.Error())
				} else {
					engines[re.Engine]++
				}
			}
		}
	}
	for _, o := range doc.Objects {
		ents(o.Entities)
	}
	for _, s := range doc.States {
		ents(s.Entities)
	}
	var walk func(n *node)
	walk = func(n *node) {
		switch n.name {
		case "literal_component", "variable_component", "object_component", "concat", "arithmetic", "count", "unique",
			"time_difference", "begin", "end", "escape_regex", "split", "substring", "regex_capture", "glob_to_regex":
		default:
			report("function " + n.name)
		}
		if p := n.attr("pattern"); p != "" {
			if re, err := CompileRegex(p); err != nil {
				report(err.Error())
			} else {
				engines[re.Engine]++
			}
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	for _, v := range doc.Variables {
		if v.component != nil {
			walk(v.component)
		}
	}
	return problems
}
