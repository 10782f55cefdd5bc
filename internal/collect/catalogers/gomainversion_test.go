package catalogers

import (
	"runtime/debug"
	"testing"
)

func TestDevelMainVersion(t *testing.T) {
	tests := []struct {
		name     string
		settings []debug.BuildSetting
		want     string
		from     string
	}{
		{"nothing", nil, "", ""},
		{"main.version", []debug.BuildSetting{{Key: "-ldflags", Value: "-s -w -X main.version=1.4.2 -X main.commit=abc"}}, "v1.4.2", "ldflags"},
		{"quoted, prefixed", []debug.BuildSetting{{Key: "-ldflags", Value: `-X 'main.Version=v2.0.0-rc.1'`}}, "v2.0.0-rc.1", "ldflags"},
		{"package of the main module", []debug.BuildSetting{{Key: "-ldflags", Value: "-X example.org/app/internal/build.gitVersion=0.9.1"}}, "v0.9.1", "ldflags"},
		{"tag after a path", []debug.BuildSetting{{Key: "-ldflags", Value: "-X main.releaseTag=refs/tags/v3.1.4"}}, "v3.1.4", "ldflags"},
		{"another module's variable", []debug.BuildSetting{{Key: "-ldflags", Value: "-X example.com/other.Version=1.0.0"}}, "", ""},
		{"not a version", []debug.BuildSetting{{Key: "-ldflags", Value: "-X main.version=dev"}}, "", ""},
		{"vcs", []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2024-05-06T07:08:09Z"}}, "v0.0.0-20240506070809-0123456789ab", "vcs"},
		{"vcs without time", []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}}, "", ""},
		{"ldflags first", []debug.BuildSetting{{Key: "-ldflags", Value: "-X main.version=1.0.0"}, {Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2024-05-06T07:08:09Z"}}, "v1.0.0", "ldflags"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, from := develMainVersion(&debug.BuildInfo{Settings: tc.settings}, "example.org/app")
			if v != tc.want || from != tc.from {
				t.Errorf("got %q from %q, want %q from %q", v, from, tc.want, tc.from)
			}
		})
	}
}

// TestDevelDepVersion: a work-tree module linked into a program built
// from files (main "command-line-arguments") is versioned by what the
// build stamped into one of its packages, never by package main's.
func TestDevelDepVersion(t *testing.T) {
	bi := &debug.BuildInfo{Path: "command-line-arguments",
		Deps:     []*debug.Module{{Path: "anthoscli", Version: "(devel)"}, {Path: "tool", Version: "(devel)"}},
		Settings: []debug.BuildSetting{{Key: "-ldflags", Value: "-X anthoscli/pkg/commands/version.anthoscliVersion=beta \t-X anthoscli/pkg/commands/version.gitTag=0.2.56 -X main.version=9.9.9"}}}
	got := map[string]string{}
	for _, p := range goBuildPackages(bi) {
		got[p.Name] = p.PURL
	}
	if got["anthoscli"] != "pkg:golang/anthoscli@v0.2.56" || got["tool"] != "pkg:golang/tool@%28devel%29" {
		t.Errorf("got %v", got)
	}
}
