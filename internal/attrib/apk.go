package attrib

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/packages"
	"github.com/cradle-cra/cradle/internal/target"
)

// apkInstalled is apk's database of installed packages and their files.
const apkInstalled = "lib/apk/db/installed"

// LoadApk indexes the per-file checksums of apk's installed database
// (Alpine): each R: file with its Z: checksum ("Q1" sha1, "Q2" sha256).
// apk checksums a symlink's text, not its target's content (Owner.Link).
// Files under /etc are apk's protected (configuration) paths: conffiles.
func LoadApk(ctx context.Context, t target.Target) (*Index, error) {
	b, err := target.ReadFileLimit(t, apkInstalled, MaxStatus)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoPackageDB
	}
	if err != nil {
		return nil, fmt.Errorf("apk database: %w", err)
	}
	x := &Index{Manager: "apk", Files: map[string][]Owner{}, Diversions: map[string]Diversion{}}
	n := 0
	for _, p := range packages.ParseApkInstalledFiles(b, "/"+apkInstalled) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		x.Packages++
		own := Owner{Package: p.Name, Version: p.Version, Arch: p.Arch, Link: true}
		digests := 0
		for _, f := range p.Files {
			if f.Digest == "" {
				continue
			}
			if n++; n > maxFiles {
				return nil, fmt.Errorf("apk: more than %d files: %w", maxFiles, ErrTooManyFiles)
			}
			digests++
			o := own
			o.Algo, o.Digest, o.Conffile = f.Algo, f.Digest, strings.HasPrefix(f.Path, "/etc/")
			x.Files[f.Path] = append(x.Files[f.Path], o)
		}
		if digests == 0 && len(p.Files) > 0 {
			x.Unknown = append(x.Unknown, p.Name)
		}
	}
	sort.Strings(x.Unknown)
	return x, nil
}
