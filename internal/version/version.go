// Package version reports which build of cradle is running: the module
// version, the VCS revision and commit time it was built from, whether the
// tree had local modifications, the Go toolchain and the target platform.
//
// Release builds set the values with the linker
//
//	-X github.com/cradle-cra/cradle/internal/version.version=1.2.3
//	-X github.com/cradle-cra/cradle/internal/version.revision=<commit>
//	-X github.com/cradle-cra/cradle/internal/version.time=<RFC 3339>
//	-X github.com/cradle-cra/cradle/internal/version.modified=false
//
// (see internal/release). Any value left unset falls back to what the Go
// toolchain recorded in the binary (runtime/debug.ReadBuildInfo): the main
// module's version for "go install …@v1.2.3", and vcs.* settings for builds
// from a checkout with -buildvcs.
package version

import (
	"runtime"
	"runtime/debug"
	"strconv"
)

// Set by -ldflags -X; strings because -X can only set strings.
var (
	version  string
	revision string
	time     string
	modified string
)

// Info describes the running binary.
type Info struct {
	// Version is the semantic version without a leading "v" (e.g. "1.2.3",
	// "0.0.0-snapshot+1a2b3c4d5e6f"), or "devel" when nothing recorded one.
	Version string
	// Revision is the VCS commit, empty when unknown.
	Revision string
	// Time is the commit time in RFC 3339, empty when unknown.
	Time string
	// Modified reports uncommitted changes in the built tree.
	Modified bool
	// GoVersion is the toolchain that built the binary.
	GoVersion string
	// OS and Arch are the platform the binary was built for.
	OS, Arch string
}

// Devel is the version of a binary that carries no version information
// (e.g. "go build" in a checkout without VCS stamping).
const Devel = "devel"

// Get returns the running binary's Info.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(bi, stamp{version, revision, time, modified})
}

// Version returns the running binary's version.
func Version() string { return Get().Version }

// stamp holds the linker-set values.
type stamp struct{ version, revision, time, modified string }

// resolve merges the linker stamp over the build info; separate from Get so
// tests can feed both.
func resolve(bi *debug.BuildInfo, s stamp) Info {
	in := Info{GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi != nil {
		if bi.GoVersion != "" {
			in.GoVersion = bi.GoVersion
		}
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			in.Version = trimV(v)
		}
		for _, kv := range bi.Settings {
			switch kv.Key {
			case "vcs.revision":
				in.Revision = kv.Value
			case "vcs.time":
				in.Time = kv.Value
			case "vcs.modified":
				in.Modified = kv.Value == "true"
			case "GOOS":
				in.OS = kv.Value
			case "GOARCH":
				in.Arch = kv.Value
			}
		}
	}
	if s.version != "" {
		in.Version = trimV(s.version)
	}
	if s.revision != "" {
		in.Revision = s.revision
	}
	if s.time != "" {
		in.Time = s.time
	}
	if b, err := strconv.ParseBool(s.modified); err == nil {
		in.Modified = b
	}
	if in.Version == "" {
		in.Version = Devel
	}
	return in
}

func trimV(v string) string {
	if len(v) > 1 && v[0] == 'v' && v[1] >= '0' && v[1] <= '9' {
		return v[1:]
	}
	return v
}

// Kind and SchemaVersion identify the JSON document of `cradle version
// --format json` (docs/schemas/version.schema.json).
const (
	Kind          = "version"
	SchemaVersion = "1.0"
)

// Document is the JSON form of Info.
type Document struct {
	SchemaVersion string `json:"schema_version"`
	Kind          string `json:"kind"`
	Version       string `json:"version"`
	Revision      string `json:"revision,omitempty"`
	Time          string `json:"time,omitempty"`
	Modified      bool   `json:"modified"`
	GoVersion     string `json:"go_version"`
	OS            string `json:"os"`
	Arch          string `json:"arch"`
}

// Document returns in as a versioned JSON document.
func (in Info) Document() Document {
	return Document{SchemaVersion: SchemaVersion, Kind: Kind, Version: in.Version, Revision: in.Revision,
		Time: in.Time, Modified: in.Modified, GoVersion: in.GoVersion, OS: in.OS, Arch: in.Arch}
}
