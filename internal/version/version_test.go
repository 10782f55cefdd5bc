package version

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cradle-cra/cradle", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"},
			{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"},
		}}
	installed := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cradle-cra/cradle", Version: "v1.4.0"}}
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		s    stamp
		want Info
	}{
		{"nothing", nil, stamp{}, Info{Version: Devel, GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}},
		{"checkout with vcs stamping", vcs, stamp{},
			Info{Version: Devel, Revision: "abc", Time: "2026-01-02T03:04:05Z", Modified: true, GoVersion: "go1.26.8", OS: "linux", Arch: "arm64"}},
		{"go install at a tag", installed, stamp{},
			Info{Version: "1.4.0", GoVersion: "go1.26.8", OS: runtime.GOOS, Arch: runtime.GOARCH}},
		{"ldflags win over build info", vcs, stamp{"v2.0.0", "def", "2026-02-03T00:00:00Z", "false"},
			Info{Version: "2.0.0", Revision: "def", Time: "2026-02-03T00:00:00Z", Modified: false, GoVersion: "go1.26.8", OS: "linux", Arch: "arm64"}},
		{"partial ldflags", installed, stamp{revision: "def"},
			Info{Version: "1.4.0", Revision: "def", GoVersion: "go1.26.8", OS: runtime.GOOS, Arch: runtime.GOARCH}},
		{"snapshot keeps its build metadata", nil, stamp{version: "0.0.0-snapshot+1a2b3c"},
			Info{Version: "0.0.0-snapshot+1a2b3c", GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := resolve(tc.bi, tc.s); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestGet(t *testing.T) {
	in := Get()
	if in.Version == "" || in.GoVersion == "" || in.OS != runtime.GOOS || in.Arch != runtime.GOARCH {
		t.Errorf("Get() = %+v", in)
	}
}
