package fswatch

import (
	"slices"
	"testing"
)

func TestBatchNormalises(t *testing.T) {
	tests := []struct {
		name               string
		in                 []change
		paths, wantRescans []string
	}{
		{"paths sorted, unique", []change{{path: "/b"}, {path: "/a"}, {path: "/b"}}, []string{"/a", "/b"}, nil},
		{"below a rescan", []change{{path: "/a/b/c"}, {path: "/a/b", rescan: true}, {path: "/a/bc"}}, []string{"/a/bc"}, []string{"/a/b"}},
		{"nested rescans", []change{{path: "/a/b", rescan: true}, {path: "/a-b", rescan: true}, {path: "/a/b-c/d", rescan: true},
			{path: "/a", rescan: true}}, nil, []string{"/a", "/a-b"}},
		{"root", []change{{path: "/", rescan: true}, {path: "/etc/x"}}, nil, []string{"/"}},
		{"cleaned", []change{{path: "/a//b/"}}, []string{"/a/b"}, nil},
	}
	for _, tc := range tests {
		p := newPending()
		for _, c := range tc.in {
			p.add(c)
		}
		b := p.batch()
		if !slices.Equal(b.Paths, tc.paths) || !slices.Equal(b.Rescan, tc.wantRescans) {
			t.Errorf("%s: %+v, want paths %q rescan %q", tc.name, b, tc.paths, tc.wantRescans)
		}
	}
}

func TestWithin(t *testing.T) {
	for _, tc := range []struct {
		p, dir string
		want   bool
	}{{"/a/b", "/a", true}, {"/a", "/a", true}, {"/ab", "/a", false}, {"/x", "/", true}} {
		if got := Within(tc.p, tc.dir); got != tc.want {
			t.Errorf("Within(%q, %q) = %v", tc.p, tc.dir, got)
		}
	}
}
