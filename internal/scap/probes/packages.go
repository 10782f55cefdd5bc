package probes

import (
	"context"
	"fmt"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/packages"
	"github.com/cradle-cra/cradle/internal/scap/oval"
)

func (s *state) packages(ctx context.Context, env *oval.Env) (*packages.DB, error) {
	return memoGet(s, env.Target, "packages", func() (*packages.DB, error) {
		return packages.Collect(ctx, env.Target)
	})
}

// dpkgInfo is dpkginfo_object: installed Debian packages by name. A
// package that is not installed yields no item (the object does not
// exist); a dpkg database that cannot be read is an error, never an empty
// answer.
func (s *state) dpkgInfo(ctx context.Context, obj *oval.Object, env *oval.Env) (oval.Collected, error) {
	return s.packageItems(ctx, obj, env, packages.Dpkg, dpkgItem)
}

// rpmInfo is rpminfo_object over the SQLite rpmdb.
func (s *state) rpmInfo(ctx context.Context, obj *oval.Object, env *oval.Env) (oval.Collected, error) {
	return s.packageItems(ctx, obj, env, packages.RPM, rpmItem)
}

func (s *state) packageItems(ctx context.Context, obj *oval.Object, env *oval.Env, manager string, item func(packages.Package) oval.Item) (oval.Collected, error) {
	db, err := s.packages(ctx, env)
	if err != nil {
		return oval.Collected{}, fmt.Errorf("package database: %w", err)
	}
	found := false
	for _, src := range db.Sources {
		if src.Manager != manager {
			continue
		}
		if src.Err != "" {
			return oval.Collected{}, fmt.Errorf("%s database %s: %s", manager, src.File, src.Err)
		}
		found = true
	}
	ne := obj.Entity("name")
	var items []oval.Item
	for _, p := range db.Packages {
		if p.Manager != manager || !p.Installed {
			continue
		}
		ok, err := ne.Match(p.Name)
		if err != nil {
			return oval.Collected{}, err
		}
		if ok {
			items = append(items, item(p))
		}
	}
	if !found {
		return collected(items, "no "+manager+" database on the target: no package of it is installed"), nil
	}
	return collected(items), nil
}

// splitEVR splits "[epoch:]version[-release]" at the first colon and the
// last hyphen (Debian's upstream version may contain hyphens when a
// revision is present); epoch defaults to "0".
func splitEVR(v string) (epoch, version, release string) {
	epoch = "0"
	if i := strings.IndexByte(v, ':'); i >= 0 {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

func dpkgItem(p packages.Package) oval.Item {
	e, v, r := splitEVR(p.Version)
	evr := e + ":" + v
	if r != "" {
		evr += "-" + r
	}
	return oval.Item{Fields: map[string][]oval.Value{
		"name":    str(p.Name),
		"arch":    str(p.Arch),
		"epoch":   str(e),
		"version": str(v),
		"release": str(r),
		"evr":     {{Datatype: oval.DebianEVRString, Text: evr}},
	}}
}

func rpmItem(p packages.Package) oval.Item {
	e, v, r := splitEVR(p.Version)
	return oval.Item{Fields: map[string][]oval.Value{
		"name":    str(p.Name),
		"arch":    str(p.Arch),
		"epoch":   str(e),
		"version": str(v),
		"release": str(r),
		"evr":     {{Datatype: oval.EVRString, Text: e + ":" + v + "-" + r}},
	}}
}
