package oval

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// fakeProbe answers textfilecontent54 from an in-memory file set with the
// OVAL line semantics, and dpkginfo from a package map.
type fakeProbe struct {
	files map[string]string
	pkgs  map[string]string
	calls map[string]int
}

func (f *fakeProbe) Collect(_ context.Context, obj *Object, _ *Env) (Collected, error) {
	f.calls[obj.ID]++
	var out Collected
	switch obj.Type {
	case "dpkginfo":
		for name, evr := range f.pkgs {
			if ok, err := obj.Entity("name").Match(name); err != nil || !ok {
				continue
			}
			out.Items = append(out.Items, Item{Fields: map[string][]Value{"name": {Str(name)}, "evr": {Str(evr)}}})
		}
	case "textfilecontent54":
		for path, body := range f.files {
			if ok, _ := obj.Entity("filepath").Match(path); !ok {
				continue
			}
			pat := obj.Entity("pattern").Values[0]
			re, err := CompileRegex("(?m)" + pat)
			if err != nil {
				return Collected{}, err
			}
			ms, err := re.FindAllSubmatch(body, -1)
			if err != nil {
				return Collected{}, err
			}
			for i, m := range ms {
				it := Item{Fields: map[string][]Value{"filepath": {Str(path)}, "instance": {{Datatype: Int, Text: itoa(i + 1)}}, "text": {Str(m[0])}}}
				for _, g := range m[1:] {
					it.Fields["subexpression"] = append(it.Fields["subexpression"], Str(g))
				}
				if ok, _ := obj.Entity("instance").Match(itoa(i + 1)); ok {
					out.Items = append(out.Items, it)
				}
			}
		}
	default:
		return Collected{}, NotImplemented(obj.Type)
	}
	return out, nil
}

func itoa(i int) string { return strconv.Itoa(i) }

func loadFixture(t *testing.T, name string) *Document {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestEvaluateFixture(t *testing.T) {
	doc := loadFixture(t, "basic.xml")
	probe := &fakeProbe{
		files: map[string]string{
			"/etc/ssh/sshd_config":              "# comment\nPermitRootLogin no\nPermitEmptyPasswords no\n",
			"/etc/ssh/sshd_config.d/extra.conf": "PermitRootLogin yes\n",
		},
		pkgs:  map[string]string{"openssh-server": "1:9.2p1-2+deb12u5", "openssh-client": "1:9.2p1-2"},
		calls: map[string]int{},
	}
	env := Env{Probes: Registry{"textfilecontent54": probe, "dpkginfo": probe}, External: map[string][]string{"oval:t:var:ext": {"5"}}}
	ev := NewEvaluator(doc, env)
	want := map[string]ResultValue{
		"oval:t:def:1": True,
		"oval:t:def:2": True, // NOT def:1 = false; NOT(true XOR true) = true
		"oval:t:def:3": True,
		"oval:t:def:4": Error,
		"oval:t:def:5": True, // union of two "PermitRootLogin" lines minus the "yes" one
		"oval:t:def:6": True,
		"oval:t:def:7": Error,
	}
	for _, id := range doc.DefinitionIDs {
		res, err := ev.Definition(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if res.Value != want[id] {
			t.Errorf("%s = %s (%s), want %s; tests %+v", id, res.Value, res.Message, want[id], res.Tests)
		}
		if id == "oval:t:def:4" && !strings.Contains(res.Message, "sql57_object") {
			t.Errorf("unimplemented probe message %q does not name the type", res.Message)
		}
		if id == "oval:t:def:1" && !strings.Contains(strings.Join(res.RegexEngines, ","), EngineRegexp2) {
			t.Errorf("lookahead pattern should run on regexp2, engines %v", res.RegexEngines)
		}
	}
	if probe.calls["oval:t:obj:1"] != 1 {
		t.Errorf("object collected %d times, want once (memoised)", probe.calls["oval:t:obj:1"])
	}
	if _, err := ev.Definition(context.Background(), "nope"); err == nil {
		t.Error("unknown definition: want error")
	}
}

func TestExternalVariableRestrictions(t *testing.T) {
	doc := loadFixture(t, "basic.xml")
	for _, tc := range []struct {
		ext  map[string][]string
		want ResultValue
	}{
		{map[string][]string{"oval:t:var:ext": {"1"}}, True},
		{map[string][]string{"oval:t:var:ext": {"500"}}, Error},
		{nil, Error},
	} {
		ev := NewEvaluator(doc, Env{External: tc.ext})
		res, err := ev.Definition(context.Background(), "oval:t:def:6")
		if err != nil {
			t.Fatal(err)
		}
		if res.Value != tc.want {
			t.Errorf("%v: got %s (%s), want %s", tc.ext, res.Value, res.Message, tc.want)
		}
		if tc.want == Error && res.Message == "" {
			t.Errorf("%v: error without message", tc.ext)
		}
	}
}

func TestParseRefusesHostileXML(t *testing.T) {
	for name, doc := range map[string]string{
		"doctype":   `<!DOCTYPE x [<!ENTITY a "b">]><oval_definitions/>`,
		"truncated": `<oval_definitions><definitions>`,
		"none":      `<other/>`,
		"deep":      "<oval_definitions>" + strings.Repeat("<a>", 300) + strings.Repeat("</a>", 300) + "</oval_definitions>",
		"noid":      `<oval_definitions><tests><x_test/></tests></oval_definitions>`,
	} {
		_, err := Parse(strings.NewReader(doc))
		if err == nil {
			t.Errorf("%s: parsed, want error", name)
			continue
		}
		var pe *ParseError
		if name != "none" && !errors.As(err, &pe) {
			t.Errorf("%s: %v is not a ParseError with a position", name, err)
		}
	}
	_, err := ParseWithLimits(strings.NewReader("<oval_definitions>"+strings.Repeat(" ", 100)+"</oval_definitions>"), ParseLimits{MaxBytes: 50})
	if err == nil {
		t.Error("size limit not enforced")
	}
}
