package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"time"

	"github.com/cradle-cra/cradle/internal/attrib"
	"github.com/cradle-cra/cradle/internal/fim"
	"github.com/cradle-cra/cradle/internal/journal"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/target"
)

// fimExplain says of every change in r what accounts for it: a fix run
// or a `cradle log append --path` entry recorded in the verified change
// log after the database, the installed package's recorded digest, or
// nothing (docs/fim.md, "Change attribution").
func (a *App) fimExplain(ctx context.Context, in FIMInput, db *fim.DB, snap *fim.Snapshot, r *fim.Report) error {
	att := &fim.Attribution{Sources: []string{}}
	r.Attribution = att
	if len(r.Changes) == 0 {
		return nil // nothing to explain, nothing consulted
	}
	att.Sources = append(att.Sources, fim.ByFix, fim.ByChangeLog)
	l, h, err := a.changeLog(in.Target)
	if err != nil {
		return err
	}
	keys, err := signing.LoadKeyring(h.Keys())
	if err != nil {
		return Input(err)
	}
	entries, err := l.VerifiedEntries(keys)
	if err != nil {
		return Input(err)
	}
	// Only what was recorded after the database can explain a difference
	// from it.
	rec := fimRecord(r.Database.Path)
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].After[rec] == db.Digest {
			entries = entries[i+1:]
			break
		}
	}
	ev := attrib.Evidence{Log: entries, Since: db.Header.Created}
	if dir := h.Runs(in.Target.Key()); dirExists(dir) {
		if store, err := journal.Open(dir); err == nil {
			ev.Run = func(id string) (string, time.Time, bool) {
				run, err := store.Get(id)
				if err != nil {
					return "", time.Time{}, false
				}
				return run.State, run.Time, true
			}
		}
	}
	t, err := openTarget(ctx, in.Target)
	if err != nil {
		return err
	}
	defer t.Close()
	changed := make([]string, len(r.Changes))
	for i, c := range r.Changes {
		changed[i] = c.Path
	}
	ev.Packages, err = attrib.LoadPackagesFor(ctx, t, attrib.NewPaths(changed))
	switch {
	case errors.Is(err, attrib.ErrNoPackageDB):
		att.Notes = append(att.Notes, "no package database: no change is attributed to packages")
	case err != nil:
		att.Notes = append(att.Notes, fmt.Sprintf("package database not read (%v): no change is attributed to packages", err))
	default:
		att.Sources = append(att.Sources, fim.ByPackage)
		att.Notes = append(att.Notes, ev.Packages.Notes...)
	}
	cur := func(p string) *fim.Entry {
		es := snap.Entries
		i := sort.Search(len(es), func(i int) bool { return es[i].Path >= p })
		if i < len(es) && es[i].Path == p {
			return es[i]
		}
		return nil
	}
	if err := attrib.Explain(ctx, t, r.Changes, cur, ev); err != nil {
		return err
	}
	att.Unexplained = r.Unexplained()
	att.Explained = len(r.Changes) - att.Unexplained
	return nil
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// pathStates reads the current state of paths from the target, in the
// form fix's apply entries record ("file sha256:… mode 0644 owner 0:0",
// "absent", …), keyed by absolute path.
func (a *App) pathStates(ctx context.Context, s target.Spec, paths []string) (map[string]string, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	pcs := make([]remedy.PathChange, 0, len(paths))
	for _, p := range paths {
		if !path.IsAbs(p) || path.Clean(p) != p {
			return nil, Usagef("--path %q: give an absolute, clean path inside the target", p)
		}
		pcs = append(pcs, remedy.PathChange{Path: p})
	}
	t, err := openTarget(ctx, s)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	return stateStrings(statesBefore(t, pcs)), nil
}
