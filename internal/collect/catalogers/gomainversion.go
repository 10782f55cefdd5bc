package catalogers

import (
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// A Go program built from a work tree reports its main module's version
// as "(devel)". Two facts in the build information still name it:
//
//   - a version the build stamped in with the linker
//     (-ldflags "-X main.version=1.2.3", or a variable of a package of the
//     main module whose name says version or tag), as release builds
//     (goreleaser's defaults among them) do;
//   - the commit it was built from (vcs.revision and vcs.time), which
//     names the module version the Go toolchain would give that commit
//     had nothing been tagged: the pseudo-version v0.0.0-TIME-REV.
//
// Each is recorded with the property golang:version-from saying which.

// ldflagsVersion matches "-X PKG.VAR=VALUE" where VAR names a version
// (version, Version, buildVersion, gitVersion, releaseVersion, ver) or a
// tag, and VALUE is a semantic version, possibly after a path.
var ldflagsVersion = regexp.MustCompile(`-X[= ]+['"]?([^\s='"]+)\.([A-Za-z0-9_]*(?:[Vv]er(?:sion)?|[Tt]ag))=(?:\S*/)?(v?\d+\.\d+\.\d+[-+.\w]*)`)

// mainVersionFromLDFlags returns the version stamped into a variable of
// package main or of a package of module mainPath, "" when none is.
func mainVersionFromLDFlags(ldflags, mainPath string) string {
	return moduleVersionFromLDFlags(ldflags, mainPath, true)
}

// moduleVersionFromLDFlags returns the version stamped into a variable
// of a package of module modPath (or of package main when withMain).
func moduleVersionFromLDFlags(ldflags, modPath string, withMain bool) string {
	if len(ldflags) > 64<<10 {
		ldflags = ldflags[:64<<10]
	}
	for _, m := range ldflagsVersion.FindAllStringSubmatch(ldflags, -1) {
		pkg, v := m[1], m[3]
		if !(withMain && pkg == "main") && pkg != modPath && !strings.HasPrefix(pkg, modPath+"/") {
			continue
		}
		if !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		if semver.IsValid(v) {
			return v
		}
	}
	return ""
}

// mainVersionFromVCS returns the pseudo-version of the commit the build
// records, "" when it records none (or not both revision and time).
func mainVersionFromVCS(settings map[string]string) string {
	rev, when := settings["vcs.revision"], settings["vcs.time"]
	if len(rev) < 12 || when == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339, when)
	if err != nil {
		return ""
	}
	return module.PseudoVersion("", "", t, rev[:12])
}

// buildSetting is one build setting's value, "" when it is not recorded.
func buildSetting(bi *debug.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// develMainVersion names a "(devel)" main module's version from the
// build information, and where it came from ("ldflags", "vcs").
func develMainVersion(bi *debug.BuildInfo, mainPath string) (version, from string) {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if v := mainVersionFromLDFlags(settings["-ldflags"], mainPath); v != "" {
		return v, "ldflags"
	}
	if v := mainVersionFromVCS(settings); v != "" {
		return v, "vcs"
	}
	return "", ""
}
