package xccdf

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeOVAL answers definitions from a table and records the documents asked.
type fakeOVAL struct {
	defs map[string]string
	docs map[string]string // definition → document key
}

func (f *fakeOVAL) Definition(_ context.Context, doc Doc, id string) (CheckResult, error) {
	if f.docs == nil {
		f.docs = map[string]string{}
	}
	f.docs[id] = doc.Key
	v, ok := f.defs[id]
	if !ok {
		return CheckResult{}, fmt.Errorf("no definition %s", id)
	}
	return CheckResult{Value: v, Class: "compliance"}, nil
}

func testOVAL() *fakeOVAL {
	return &fakeOVAL{defs: map[string]string{
		"oval:test:def:pass": OVALTrue, "oval:test:def:fail": OVALFalse,
		"oval:test:def:debian12": OVALTrue, "oval:test:def:machine": OVALTrue, "oval:test:def:sshd": OVALFalse,
	}}
}

func loadTest(t *testing.T) *Source {
	t.Helper()
	c, err := Open("testdata/ds.xml")
	if err != nil {
		t.Fatal(err)
	}
	cls := c.Checklists()
	if len(cls) != 1 {
		t.Fatalf("checklists = %d", len(cls))
	}
	src, err := c.Load(cls[0])
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func results(run *Run) map[string]string {
	m := map[string]string{}
	for _, r := range run.Results {
		m[strings.TrimPrefix(r.Rule.ID, "xccdf_org.test_rule_")] = r.Result
	}
	return m
}

func TestEvaluateProfiles(t *testing.T) {
	src := loadTest(t)
	tail, err := ParseTailoring(mustRead(t, "testdata/tailoring.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		profile string
		tail    *Tailoring
		want    string
		umask   string
	}{
		{"xccdf_org.test_profile_base", nil, "complex=notselected fail=notselected negated=notselected nosshd=notselected ocil=notselected pass=pass ssh=notapplicable", "027"},
		{"xccdf_org.test_profile_derived", nil, "complex=pass fail=fail negated=pass nosshd=pass ocil=notchecked pass=pass ssh=notapplicable", "027"},
		{"xccdf_org.test_profile_derived_tailored", tail, "complex=pass fail=notselected negated=pass nosshd=pass ocil=notchecked pass=pass ssh=notapplicable", "022"},
		{"", tail, "complex=pass fail=notselected negated=pass nosshd=pass ocil=notchecked pass=pass ssh=notapplicable", "022"},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			sel, err := Resolve(src.Benchmark, tc.tail, tc.profile)
			if err != nil {
				t.Fatal(err)
			}
			o := testOVAL()
			run, err := Evaluate(context.Background(), src, sel, o, nil)
			if err != nil {
				t.Fatal(err)
			}
			m := results(run)
			var got []string
			for _, k := range []string{"complex", "fail", "negated", "nosshd", "ocil", "pass", "ssh"} {
				got = append(got, k+"="+m[k])
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("results\n got %s\nwant %s", g, tc.want)
			}
			if v := run.External["oval:test:var:umask"]; len(v) != 1 || v[0] != tc.umask {
				t.Errorf("umask export = %v, want %s", v, tc.umask)
			}
			if o.docs["oval:test:def:sshd"] != "scap_test_comp_cpe-oval.xml" || o.docs["oval:test:def:pass"] != "scap_test_comp_oval.xml" {
				t.Errorf("documents = %v", o.docs)
			}
		})
	}
}

func TestText(t *testing.T) {
	b := loadTest(t).Benchmark
	r := b.Rule("xccdf_org.test_rule_pass")
	if got := Title(r.Title); got != "Umask is 027" {
		t.Errorf("title = %q", got)
	}
	if got := Title(r.Desc); got != "Set the umask." {
		t.Errorf("description = %q", got)
	}
	if got := b.Version.Inner; got != "0.1" {
		t.Errorf("version = %q", got)
	}
}

func TestScore(t *testing.T) {
	src := loadTest(t)
	sel, err := Resolve(src.Benchmark, nil, "xccdf_org.test_profile_derived")
	if err != nil {
		t.Fatal(err)
	}
	run, err := Evaluate(context.Background(), src, sel, testOVAL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// group sys: pass, fail, negated(pass), complex(pass), nosshd(pass) → 80;
	// group ssh: notapplicable → not counted.
	if run.Score != 80 {
		t.Errorf("score = %v, want 80", run.Score)
	}
	for _, r := range run.Results {
		if r.Rule.ID == "xccdf_org.test_rule_fail" && r.Severity != "high" {
			t.Errorf("refine-rule severity = %s", r.Severity)
		}
	}
}

func TestBenchmarkPlatformNotApplicable(t *testing.T) {
	src := loadTest(t)
	sel, _ := Resolve(src.Benchmark, nil, "xccdf_org.test_profile_derived")
	o := testOVAL()
	o.defs["oval:test:def:debian12"] = OVALFalse
	run, err := Evaluate(context.Background(), src, sel, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range run.Results {
		if r.Result != NotApplicable && r.Result != NotSelected {
			t.Errorf("%s = %s, want notapplicable", r.Rule.ID, r.Result)
		}
	}
}

func TestCombine(t *testing.T) {
	for _, tc := range []struct {
		or   bool
		in   []string
		want string
	}{
		{false, []string{Pass, Pass}, Pass},
		{false, []string{Pass, Fail}, Fail},
		{false, []string{Pass, Unknown, Error}, Unknown},
		{false, []string{Error, Fail}, Fail},
		{false, []string{NotApplicable, Pass}, Pass},
		{true, []string{Fail, Pass}, Pass},
		{true, []string{Fail, Error}, Error},
		{true, []string{Fail, Fail}, Fail},
		{true, []string{NotChecked}, NotChecked},
	} {
		if got := Combine(tc.or, tc.in); got != tc.want {
			t.Errorf("Combine(or=%v, %v) = %s, want %s", tc.or, tc.in, got, tc.want)
		}
	}
}

func TestProfileErrors(t *testing.T) {
	src := loadTest(t)
	if _, err := Resolve(src.Benchmark, nil, "nope"); err == nil || !strings.Contains(err.Error(), "xccdf_org.test_profile_base") {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestRefusesDoctype(t *testing.T) {
	_, err := parseContent("x.xml", []byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>`))
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("err = %v", err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzOpen(f *testing.F) {
	f.Add([]byte(`<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2" id="b"><Rule id="r"/></Benchmark>`))
	if b, err := os.ReadFile("testdata/ds.xml"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseContent("f.xml", data)
		if err != nil {
			return
		}
		if c.Collection == nil {
			_, _ = parseBenchmark(data, nil)
			return
		}
		for _, cl := range c.Checklists() {
			_, _ = c.Load(cl)
		}
	})
}

func FuzzTailoring(f *testing.F) {
	if b, err := os.ReadFile("testdata/tailoring.xml"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) { _, _ = ParseTailoring(data) })
}

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestInfoGolden(t *testing.T) {
	c, err := Open("testdata/ds.xml")
	if err != nil {
		t.Fatal(err)
	}
	info, err := Describe(c)
	if err != nil {
		t.Fatal(err)
	}
	var js, tbl bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetIndent("", "  ")
	if err := enc.Encode(info); err != nil {
		t.Fatal(err)
	}
	if err := info.Table(&tbl); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"info.json.golden": js.Bytes(), "info.txt.golden": tbl.Bytes()} {
		p := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(p, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs:\n%s", name, got)
		}
	}
}

// TestRequiresConflicts: an item is unselected when an item it conflicts
// with is selected, or when no item of a requires list is; in document
// order, so of two rules in conflict the second stays selected.
func TestRequiresConflicts(t *testing.T) {
	b, err := parseBenchmark([]byte(`<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2" id="xccdf_t_benchmark_b">
  <Profile id="xccdf_t_profile_p"><title>p</title>
    <select idref="xccdf_t_rule_a" selected="true"/><select idref="xccdf_t_rule_b" selected="true"/>
    <select idref="xccdf_t_rule_c" selected="true"/><select idref="xccdf_t_rule_d" selected="true"/>
  </Profile>
  <Rule id="xccdf_t_rule_a" selected="false"/>
  <Rule id="xccdf_t_rule_b" selected="false"><conflicts idref="xccdf_t_rule_a"/></Rule>
  <Rule id="xccdf_t_rule_c" selected="false"><requires idref="xccdf_t_rule_x xccdf_t_rule_a"/></Rule>
  <Rule id="xccdf_t_rule_d" selected="false"><requires idref="xccdf_t_rule_x"/></Rule>
  <Rule id="xccdf_t_rule_x" selected="false"/>
  <Group id="xccdf_t_group_g"><conflicts idref="xccdf_t_rule_x"/><Rule id="xccdf_t_rule_e"/></Group>
  <Rule id="xccdf_t_rule_m1"><conflicts idref="xccdf_t_rule_m2"/></Rule>
  <Rule id="xccdf_t_rule_m2"><conflicts idref="xccdf_t_rule_m1"/></Rule>
</Benchmark>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	sel, err := Resolve(b, nil, "xccdf_t_profile_p")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range b.Rules() {
		got = append(got, fmt.Sprintf("%s=%v", strings.TrimPrefix(r.ID, "xccdf_t_rule_"), sel.Selected(b, r)))
	}
	if g, want := strings.Join(got, " "), "a=true b=false c=true d=false x=false e=true m1=false m2=true"; g != want {
		t.Errorf("selected\n got %s\nwant %s", g, want)
	}
}

// TestCheckWithoutDefinitionName: a check-content-ref naming no definition
// asks for every definition of the document (one result each with
// multi-check, their AND without); cradle does not expand it and says
// notchecked with the reason, never a result it did not compute.
func TestCheckWithoutDefinitionName(t *testing.T) {
	b, err := parseBenchmark([]byte(`<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2" id="xccdf_t_benchmark_b">
  <Rule id="xccdf_t_rule_multi"><check system="http://oval.mitre.org/XMLSchema/oval-definitions-5" multi-check="true"><check-content-ref href="oval.xml"/></check></Rule>
  <Rule id="xccdf_t_rule_all"><check system="http://oval.mitre.org/XMLSchema/oval-definitions-5"><check-content-ref href="oval.xml"/></check></Rule>
  <Rule id="xccdf_t_rule_named"><check system="http://oval.mitre.org/XMLSchema/oval-definitions-5" multi-check="true"><check-content-ref href="oval.xml" name="oval:test:def:pass"/></check></Rule>
</Benchmark>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	src := &Source{Benchmark: b, resolve: func(href string) (Doc, error) { return Doc{Key: href}, nil }}
	sel, err := Resolve(b, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	run, err := Evaluate(context.Background(), src, sel, testOVAL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, rr := range run.Results {
		want := NotChecked
		if rr.Rule.ID == "xccdf_t_rule_named" {
			want = Pass
		}
		if rr.Result != want || want == NotChecked && !strings.Contains(rr.Message, "without a definition name") {
			t.Errorf("%s: %s (%s), want %s", rr.Rule.ID, rr.Result, rr.Message, want)
		}
	}
}

func TestSkipsFixContent(t *testing.T) {
	const x = `<?xml version="1.0"?>
<x:Benchmark xmlns:x="http://checklists.nist.gov/xccdf/1.2" id="b"><x:Rule id="r">` +
		`<x:fix system="urn:bash" id="f">if [ a &lt; b ]; then <x:sub idref="v"/> fi</x:fix>` +
		`<x:fixtext>keep</x:fixtext><x:fix system="urn:empty"/><x:fix
 system="urn:ansible">- name: &gt;x</x:fix><x:title>T</x:title></x:Rule></x:Benchmark>`
	for name, doc := range map[string]string{
		"plain":      x,
		"comment":    strings.Replace(x, `fi</x:fix>`, `<!-- </x:fix> --></x:fix>`, 1),
		"cdata":      strings.Replace(x, `fi</x:fix>`, `<![CDATA[</x:fix>]]></x:fix>`, 1),
		"nested":     strings.Replace(x, `fi</x:fix>`, `<x:fix/></x:fix>`, 1),
		"redeclared": strings.Replace(x, `<x:Rule id="r">`, `<x:Rule id="r" xmlns:x="http://checklists.nist.gov/xccdf/1.2">`, 1),
	} {
		b, err := parseBenchmark([]byte(doc), nil)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		r := b.Rule("r")
		if len(r.Fixes) != 3 || r.Fixes[2].System != "urn:ansible" || Title(r.Title) != "T" {
			t.Errorf("%s: rule = %+v", name, r)
		}
	}
	if _, err := parseBenchmark([]byte(strings.Replace(x, `fi</x:fix>`, `fi`, 1)), nil); err == nil {
		t.Error("unclosed fix accepted")
	}
}
