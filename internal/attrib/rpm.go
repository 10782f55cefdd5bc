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
	return LoadPackagesFor(ctx, t, nil)
}

// LoadPackagesFor is LoadPackages for a caller that asks about the files
// in only (all when nil): a dpkg index then holds just their owners,
// which for a check that found a handful of changes saves making a
// string of every path of every package (150,000 on a desktop's /usr).
// Everything else (packages, diversions, log, notes) is as LoadPackages
// gives it.
func LoadPackagesFor(ctx context.Context, t target.Target, only Paths) (*Index, error) {
	x, err := loadDpkg(ctx, t, only)
	if !errors.Is(err, ErrNoPackageDB) {
		return x, err
	}
	if x, err = LoadApk(ctx, t); !errors.Is(err, ErrNoPackageDB) {
		return x, err
	}
	return LoadRPM(ctx, t)
}
