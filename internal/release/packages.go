package release

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
	"github.com/goreleaser/nfpm/v2/rpm"
)

const (
	homepage    = "https://github.com/cradle-cra/cradle"
	maintainer  = "The cradle authors"
	description = `Secure-by-default checks, fixes and evidence for the EU Cyber Resilience Act
cradle evaluates a live Linux host, an offline root filesystem or a container
image against built-in hardening baselines, fixes findings reversibly,
tracks drift and keeps a signed change log.`
)

// packager is one nfpm output format.
type packager interface {
	Package(*nfpm.Info, io.Writer) error
	ConventionalFileName(*nfpm.Info) string
}

// buildPackages writes the .deb and .rpm of the linux binary bin for arch
// into out and returns their paths. Every file's time and the packages'
// own build times are m.Epoch; the rpm build host is fixed.
func buildPackages(out, bin, arch, license string, d docFiles, m Meta) ([]string, error) {
	var paths []string
	for _, f := range []struct {
		name string
		p    packager
	}{{"deb", deb.Default}, {"rpm", rpm.DefaultRPM}} {
		info := packageInfo(f.name, bin, arch, license, d, m)
		name := f.p.ConventionalFileName(info)
		// ConventionalFileName fills defaults in info; package from a fresh one.
		info = packageInfo(f.name, bin, arch, license, d, m)
		path := filepath.Join(out, name)
		w, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		err = f.p.Package(info, w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("%s package for %s: %w", f.name, arch, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func packageInfo(format, bin, arch, license string, d docFiles, m Meta) *nfpm.Info {
	file := func(src, dst string, mode os.FileMode) *files.Content {
		return &files.Content{Source: src, Destination: dst, Type: files.TypeFile,
			FileInfo: &files.ContentFileInfo{Mode: mode, MTime: m.Epoch}}
	}
	contents := files.Contents{
		file(bin, "/usr/bin/cradle", 0o755),
		file(d.bash, "/usr/share/bash-completion/completions/cradle", 0o644),
		file(d.fish, "/usr/share/fish/vendor_completions.d/cradle.fish", 0o644),
	}
	for _, p := range d.man {
		contents = append(contents, file(p, "/usr/share/man/man1/"+filepath.Base(p), 0o644))
	}
	// Debian looks for zsh functions in vendor-completions, Fedora and SUSE
	// in site-functions; the licence goes where each expects it.
	if format == "deb" {
		contents = append(contents,
			file(d.zsh, "/usr/share/zsh/vendor-completions/_cradle", 0o644),
			file(license, "/usr/share/doc/cradle/copyright", 0o644))
	} else {
		contents = append(contents,
			file(d.zsh, "/usr/share/zsh/site-functions/_cradle", 0o644),
			&files.Content{Source: license, Destination: "/usr/share/licenses/cradle/LICENSE", Type: files.TypeRPMLicense,
				FileInfo: &files.ContentFileInfo{Mode: 0o644, MTime: m.Epoch}})
	}
	info := &nfpm.Info{
		Name: "cradle", Arch: arch, Platform: "linux", Version: m.Version,
		Section: "admin", Priority: "optional",
		Maintainer: maintainer, Description: description, Vendor: "The cradle authors",
		Homepage: homepage, License: "Apache-2.0",
		MTime: m.Epoch,
		Overridables: nfpm.Overridables{
			Contents: contents,
			Umask:    0o022,
			Deb:      nfpm.Deb{Compression: "gzip"},
			RPM:      nfpm.RPM{Compression: "gzip", BuildHost: "cradle-release", Group: "Applications/System"},
		},
	}
	return nfpm.WithDefaults(info)
}
