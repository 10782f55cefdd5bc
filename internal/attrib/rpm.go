package attrib

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"

	"github.com/cradle-cra/cradle/internal/collect/packages"
	"github.com/cradle-cra/cradle/internal/target"
)

// LoadRPM indexes the file digests of the target's SQLite rpmdb (RHEL 9,
// Fedora 33+): regular files with their digest in the header's
// algorithm, %config files as conffiles, %ghost files left out (rpm
// does not install them).
func LoadRPM(ctx context.Context, t target.Target) (*Index, error) {
	x := &Index{Manager: "rpm", Files: map[string][]Owner{}, Diversions: map[string]Diversion{}}
	n := 0
	db, err := packages.EachRPMHeader(ctx, t, func(h packages.RPMHeader, files []packages.RPMFile, algo string) error {
		x.Packages++
		own := Owner{Package: h.Name, Version: h.EVR(), Arch: h.Arch, Algo: algo}
		if algo == "" || !knownAlgo(algo) {
			x.Unknown = append(x.Unknown, h.Name)
			return nil
		}
		for _, f := range files {
			if f.Digest == "" || f.Flags&packages.RPMFileGhost != 0 {
				continue
			}
			if n++; n > maxFiles {
				return fmt.Errorf("rpm: more than %d files: %w", maxFiles, ErrTooManyFiles)
			}
			o := own
			o.Digest, o.Conffile = f.Digest, f.Flags&packages.RPMFileConfig != 0
			p := path.Clean("/" + f.Path)
			x.Files[p] = append(x.Files[p], o)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) && db == "" {
		return nil, ErrNoPackageDB
	}
	if err != nil {
		return nil, fmt.Errorf("rpm database %s: %w", db, err)
	}
	sort.Strings(x.Unknown)
	return x, nil
}

// LoadPackages indexes the target's dpkg database, or else its apk
// database, or else its rpm database; ErrNoPackageDB when it has none.
func LoadPackages(ctx context.Context, t target.Target) (*Index, error) {
	x, err := LoadDpkg(ctx, t)
	if !errors.Is(err, ErrNoPackageDB) {
		return x, err
	}
	if x, err = LoadApk(ctx, t); !errors.Is(err, ErrNoPackageDB) {
		return x, err
	}
	return LoadRPM(ctx, t)
}
