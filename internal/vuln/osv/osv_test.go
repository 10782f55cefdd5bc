package osv

import (
	"slices"
	"strings"
	"testing"
)

// The range examples of the OSV schema ("Evaluation" section) and of the
// Go database.
func TestAffects(t *testing.T) {
	ranges := func(typ string, ev ...Event) []Range { return []Range{{Type: typ, Events: ev}} }
	cases := []struct {
		name  string
		a     Affected
		v     string
		want  bool
		fixed []string
	}{
		{"go two ranges, in second", Affected{Package: Package{Ecosystem: "Go", Name: "stdlib"}, Ranges: ranges(RangeSemver,
			Event{Introduced: "0"}, Event{Fixed: "1.18.6"}, Event{Introduced: "1.19.0-0"}, Event{Fixed: "1.19.1"})}, "1.19.0", true, []string{"1.19.1"}},
		{"go between ranges", Affected{Package: Package{Ecosystem: "Go", Name: "stdlib"}, Ranges: ranges(RangeSemver,
			Event{Introduced: "0"}, Event{Fixed: "1.18.6"}, Event{Introduced: "1.19.0-0"}, Event{Fixed: "1.19.1"})}, "1.18.7", false, nil},
		{"go first range lists every later fix", Affected{Package: Package{Ecosystem: "Go", Name: "stdlib"}, Ranges: ranges(RangeSemver,
			Event{Introduced: "0"}, Event{Fixed: "1.18.6"}, Event{Introduced: "1.19.0-0"}, Event{Fixed: "1.19.1"})}, "1.17.0", true, []string{"1.18.6", "1.19.1"}},
		{"pseudo-version", Affected{Package: Package{Ecosystem: "Go", Name: "golang.org/x/net"}, Ranges: ranges(RangeSemver,
			Event{Introduced: "0"}, Event{Fixed: "0.0.0-20220906165146-f3363e06e74c"})}, "0.0.0-20200114155413-6afb5195e5aa", true, []string{"0.0.0-20220906165146-f3363e06e74c"}},
		{"last_affected inclusive", Affected{Package: Package{Ecosystem: "PyPI", Name: "x"}, Ranges: ranges(RangeEcosystem,
			Event{Introduced: "1.0"}, Event{LastAffected: "1.4"})}, "1.4.0", true, nil},
		{"past last_affected", Affected{Package: Package{Ecosystem: "PyPI", Name: "x"}, Ranges: ranges(RangeEcosystem,
			Event{Introduced: "1.0"}, Event{LastAffected: "1.4"})}, "1.4.post1", false, nil},
		{"limit", Affected{Package: Package{Ecosystem: "npm", Name: "x"}, Ranges: ranges(RangeSemver,
			Event{Introduced: "1.0.0"}, Event{Limit: "2.0.0"})}, "2.1.0", false, nil},
		{"debian epoch", Affected{Package: Package{Ecosystem: "Debian:12", Name: "openssl"}, Ranges: ranges(RangeEcosystem,
			Event{Introduced: "0"}, Event{Fixed: "1:3.0.11-1~deb12u2"})}, "1:3.0.13-1", false, nil},
		{"debian without epoch is older", Affected{Package: Package{Ecosystem: "Debian:12", Name: "openssl"}, Ranges: ranges(RangeEcosystem,
			Event{Introduced: "0"}, Event{Fixed: "1:3.0.11-1~deb12u2"})}, "3.0.13-1", true, []string{"1:3.0.11-1~deb12u2"}},
		{"versions list", Affected{Package: Package{Ecosystem: "RubyGems", Name: "x"}, Versions: []string{"1.0.0", "1.0.1"}}, "1.0.1", true, nil},
		// The schema only recommends sorted events; evaluation sorts them.
		{"unsorted events", Affected{Package: Package{Ecosystem: "npm", Name: "x"}, Ranges: ranges(RangeSemver,
			Event{Fixed: "3.2.5"}, Event{Introduced: "3.0.0"}, Event{Fixed: "1.0.2"}, Event{Introduced: "1.0.0"})}, "3.1.0", true, []string{"3.2.5"}},
		{"unsorted events, between ranges", Affected{Package: Package{Ecosystem: "npm", Name: "x"}, Ranges: ranges(RangeSemver,
			Event{Fixed: "3.2.5"}, Event{Introduced: "3.0.0"}, Event{Fixed: "1.0.2"}, Event{Introduced: "1.0.0"})}, "2.0.0", false, nil},
		{"schema multiple range example, first", Affected{Package: Package{Ecosystem: "npm", Name: "x"}, Ranges: ranges(RangeSemver,
			Event{Introduced: "1.0.0"}, Event{Fixed: "1.0.2"}, Event{Introduced: "3.0.0"}, Event{Fixed: "3.2.5"})}, "1.0.1", true, []string{"1.0.2", "3.2.5"}},
		{"schema last_affected example", Affected{Package: Package{Ecosystem: "Maven", Name: "com.h2database:h2"}, Ranges: ranges(RangeEcosystem,
			Event{Introduced: "0"}, Event{LastAffected: "2.1.214"})}, "2.1.214", true, nil},
		{"schema fixed example", Affected{Package: Package{Ecosystem: "npm", Name: "x"}, Ranges: ranges(RangeSemver,
			Event{Introduced: "0"}, Event{Fixed: "2.1.214"})}, "2.1.214", false, nil},
		{"introduced and fixed at the same version", Affected{Package: Package{Ecosystem: "npm", Name: "x"}, Ranges: ranges(RangeSemver,
			Event{Fixed: "1.0.0"}, Event{Introduced: "1.0.0"})}, "1.0.0", false, nil},
		// Multiple limits widen the range: below any one of them.
		{"below second limit", Affected{Package: Package{Ecosystem: "npm", Name: "x"}, Ranges: ranges(RangeSemver,
			Event{Introduced: "1.0.0"}, Event{Limit: "1.5.0"}, Event{Limit: "2.5.0"})}, "2.0.0", true, nil},
		{"above every limit", Affected{Package: Package{Ecosystem: "npm", Name: "x"}, Ranges: ranges(RangeSemver,
			Event{Introduced: "1.0.0"}, Event{Limit: "1.5.0"}, Event{Limit: "2.5.0"})}, "2.5.0", false, nil},
		{"limit star is infinity", Affected{Package: Package{Ecosystem: "npm", Name: "x"}, Ranges: ranges(RangeSemver,
			Event{Introduced: "1.0.0"}, Event{Limit: "*"})}, "99.0.0", true, nil},
		{"ECOSYSTEM range uses the ecosystem's order", Affected{Package: Package{Ecosystem: "PyPI", Name: "x"}, Ranges: ranges(RangeEcosystem,
			Event{Introduced: "0"}, Event{Fixed: "1.0"})}, "1.0rc1", true, []string{"1.0"}},
		{"SEMVER range uses SemVer whatever the ecosystem", Affected{Package: Package{Ecosystem: "crates.io", Name: "x"}, Ranges: ranges(RangeSemver,
			Event{Introduced: "0"}, Event{Fixed: "1.0.0"})}, "1.0.0-rc.1", true, []string{"1.0.0"}},
		{"git range not evaluated", Affected{Package: Package{Ecosystem: "OSS-Fuzz", Name: "x"}, Ranges: ranges(RangeGit, Event{Introduced: "abc"})}, "1.0", false, nil},
	}
	for _, c := range cases {
		got, fixed, evaluated, err := c.a.Affects(c.v)
		if evaluated == (c.name == "git range not evaluated") {
			t.Errorf("%s: evaluated = %v", c.name, evaluated)
		}
		if c.name != "versions list" && c.name != "git range not evaluated" && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if got != c.want || !slices.Equal(fixed, c.fixed) {
			t.Errorf("%s: Affects(%s) = %v %v, want %v %v", c.name, c.v, got, fixed, c.want, c.fixed)
		}
	}
}

// A version that does not parse in the ecosystem is an error, never a
// silent "not affected".
func TestAffectsUnparsable(t *testing.T) {
	a := Affected{Package: Package{Ecosystem: "Debian:12", Name: "p"}, Ranges: []Range{{Type: RangeEcosystem, Events: []Event{{Introduced: "0"}, {Fixed: "1.0-1"}}}}}
	if _, _, _, err := a.Affects("not a version"); err == nil {
		t.Error("unparsable package version accepted")
	}
	a.Ranges[0].Events[1].Fixed = "?bad"
	if _, _, _, err := a.Affects("1.0-1"); err == nil {
		t.Error("unparsable event version accepted")
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{`{}`, `{"id":"a/b"}`, `[1]`, `{"id":"X-1","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1"}]}]}]}`,
		`{"id":"X-1","affected":[{}]}`} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if _, err := Read(strings.NewReader(`{"id":"X-1","details":"` + strings.Repeat("a", MaxRecord) + `"}`)); err == nil {
		t.Error("oversized record accepted")
	}
	if IndexKey("PyPI", "Foo_Bar.baz") != IndexKey("PyPI:3", "foo-bar-baz") || IndexKey("Go", "A") == IndexKey("Go", "a") {
		t.Error("IndexKey normalisation")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"id":"GO-1","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.3"}]}]}]}`), "1.0.0")
	f.Add([]byte(`{"id":"D-1","affected":[{"package":{"ecosystem":"Debian:12","name":"p"},"versions":["1"],"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"last_affected":"1:2-3"},{"limit":"*"}]}]}]}`), "1:2-3")
	f.Fuzz(func(t *testing.T, data []byte, v string) {
		r, err := Parse(data)
		if err != nil {
			return
		}
		for i := range r.Affected {
			r.Affected[i].Affects(v)
		}
	})
}
