package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cradle-cra/cradle/internal/attrib"
	"github.com/cradle-cra/cradle/internal/fim"
)

// FIMVerifyPackagesInput selects the target and whether conffiles are
// verified too.
type FIMVerifyPackagesInput struct {
	FIMInput
	Conffiles bool
}

// FIMVerifyPackages compares every package-shipped file with the digest
// its package database records, without an integrity database (like
// debsums or rpm -V, in one parallel pass). Mismatched and missing files
// are the report's changes; unreadable ones its problems.
func (a *App) FIMVerifyPackages(ctx context.Context, in FIMVerifyPackagesInput) (*fim.Report, error) {
	t, err := openTarget(ctx, in.Target)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	start := time.Now()
	x, err := attrib.LoadPackages(ctx, t)
	if errors.Is(err, attrib.ErrNoPackageDB) {
		return nil, Usagef("%s: %v: nothing to verify", in.Target.ID(), err)
	}
	if err != nil {
		return nil, Input(err)
	}
	res, err := attrib.Verify(ctx, t, x, attrib.VerifyOptions{Conffiles: in.Conffiles})
	if err != nil {
		return nil, err
	}
	r := &fim.Report{SchemaVersion: fim.ReportSchemaVersion, Kind: fim.ReportKind, Command: fim.CmdVerifyPackages,
		Target: in.Target.ID(), Time: start.UTC(), Policy: fim.PolicyInfo{Name: x.Manager + " database"},
		Changes: []fim.Change{}, Problems: []fim.Problem{}}
	pc := &fim.PackageCheck{Manager: x.Manager, Packages: x.Packages, Files: len(res), ConffilesVerified: in.Conffiles, Unknown: append([]string{}, x.Unknown...)}
	var changes []fim.Change
	unread := 0
	for _, f := range res {
		r.Summary.Bytes += f.Size
		why := &fim.Explanation{By: fim.ByNone, Ref: f.Owner.Ref()}
		switch f.Status {
		case attrib.FileMismatch:
			pc.Mismatched++
			if f.Owner.Conffile {
				pc.Mismatched--
				pc.ConffilesModified++
				why.Detail = "conffile edited locally"
			}
			changes = append(changes, fim.Change{Path: f.Path, Kind: fim.Changed, Type: fim.TypeFile, Explained: why,
				Diffs: []fim.Diff{{Attr: f.Owner.Algo, Old: f.Owner.Digest, New: f.Got}}})
		case attrib.FileMissing:
			pc.Missing++
			changes = append(changes, fim.Change{Path: f.Path, Kind: fim.Removed, Type: fim.TypeFile, Explained: why})
		case attrib.FileError:
			unread++
			r.Problems = append(r.Problems, fim.Problem{Path: f.Path, Error: f.Err})
		}
	}
	r.SetChanges(changes)
	r.Packages = pc
	r.Summary.Entries, r.Summary.Hashed, r.Summary.Problems = len(res), len(res)-pc.Missing-unread, len(r.Problems)
	r.Summary.Seconds = time.Since(start).Round(time.Millisecond).Seconds()
	for _, n := range x.Notes {
		r.Problems = append(r.Problems, fim.Problem{Path: "/var/lib/dpkg", Error: n})
	}
	r.Summary.Problems = len(r.Problems)
	return r, nil
}

// PackagesFailed is the findings error of a verify-packages report with
// mismatched or missing files (and modified conffiles when verified).
func PackagesFailed(r *fim.Report) error {
	p := r.Packages
	if p != nil && p.Files == 0 {
		return Usagef("no installed package records file digests: nothing was verified")
	}
	// Unreadable files are problems, not matches: when none could be
	// read, nothing was verified and success would be a false pass.
	if p != nil && r.Summary.Hashed == 0 && p.Missing == 0 {
		return Input(fmt.Errorf("none of the %d package file(s) could be read: nothing was verified", p.Files))
	}
	if p == nil || p.Mismatched+p.Missing+p.ConffilesModified == 0 {
		return nil
	}
	return Findingsf("%d package file(s) differ from their package, %d missing, %d conffile(s) modified",
		p.Mismatched, p.Missing, p.ConffilesModified)
}
