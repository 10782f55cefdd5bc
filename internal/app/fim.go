package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/fim"
	"github.com/cradle-cra/cradle/internal/rules"
	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/target"
)

// FIMInput is the input of the `cradle fim` use cases.
type FIMInput struct {
	Target target.Spec
	// Config is a policy file; empty uses the built-in policy.
	Config string
	// DB is the database file; empty uses $CRADLE_HOME/fim/<key>.db.
	DB string
	// Full re-hashes every file instead of trusting unchanged metadata.
	Full bool
	// Change is recorded in the change log by init and update.
	Change Change
	// Progress receives notes; one that is also a WalkProgress draws
	// the walk's counts.
	Progress Progress
	// OneFileSystem keeps the walk from crossing mount points below each
	// selected path.
	OneFileSystem bool
	// Nice (0..19) lowers the CPU priority of the walk and sets the idle
	// I/O class; MaxRate bounds hashing reads in bytes per second (0:
	// unlimited; ParseRate reads "50M").
	Nice    int
	MaxRate int64
}

// FIMReport is what every fim use case returns (the fim_report document).
type FIMReport = fim.Report

// fimRecord is the change-log subject of the database at path: the
// entry's After maps it to the database's digest, so a database put back
// from before an update no longer matches.
func fimRecord(path string) string { return "fim:" + path }

type fimDetails struct {
	DB      string `json:"db"`
	Seq     uint64 `json:"seq"`
	Entries int    `json:"entries"`
	Policy  string `json:"policy_sha256"`
	// Accepted is what an update accepted (fimaccept.go).
	Accepted *fimAccepted `json:"accepted,omitempty"`
}

// FIMInit walks the target, writes the first signed database and records
// it in the change log. An existing database is refused: accepting
// changes is update's job.
func (a *App) FIMInit(ctx context.Context, in FIMInput) (*fim.Report, error) {
	return a.fimWrite(ctx, in, fim.CmdInit)
}

// FIMUpdate verifies the database, walks the target, and replaces the
// database with one holding the current state and the next sequence
// number; the change log records who accepted the changes and why.
func (a *App) FIMUpdate(ctx context.Context, in FIMInput) (*fim.Report, error) {
	return a.fimWrite(ctx, in, fim.CmdUpdate)
}

// FIMCheck verifies the database and reports every difference of the
// target from it. Report.Found says whether there were any.
func (a *App) FIMCheck(ctx context.Context, in FIMInput) (*fim.Report, error) {
	p, db, r, err := a.fimVerified(in, fim.CmdCheck)
	if err != nil {
		return nil, err
	}
	snap, err := a.fimCompare(ctx, in, p, db, r)
	if err != nil {
		return nil, err
	}
	if err := a.fimExplain(ctx, in, db, snap, r); err != nil {
		return nil, err
	}
	return r, nil
}

// FIMShow verifies the database and lists its entries.
func (a *App) FIMShow(_ context.Context, in FIMInput) (*fim.Report, error) {
	p, db, r, err := a.fimVerified(in, fim.CmdShow)
	if err != nil {
		return nil, err
	}
	r.Entries = db.Entries
	r.PolicyChanged = db.Header.PolicyHash != p.Hash()
	r.Summary.Entries = len(db.Entries)
	return r, nil
}

// fimVerified reads the policy and the verified database and starts the
// report of cmd.
func (a *App) fimVerified(in FIMInput, cmd string) (*fim.Policy, *fim.DB, *fim.Report, error) {
	p, path, err := a.fimSetup(in)
	if err != nil {
		return nil, nil, nil, err
	}
	db, err := a.fimLoad(in.Target, path, cmd == fim.CmdShow)
	if err != nil {
		return nil, nil, nil, err
	}
	r := fim.NewReport(cmd, in.Target.ID(), p, time.Now())
	r.Database = db.Info(path)
	return p, db, r, nil
}

func (a *App) fimWrite(ctx context.Context, in FIMInput, cmd string) (*fim.Report, error) {
	p, path, err := a.fimSetup(in)
	if err != nil {
		return nil, err
	}
	l, _, err := a.changeControl(in.Target, in.Change)
	if err != nil {
		return nil, err
	}
	r := fim.NewReport(cmd, in.Target.ID(), p, time.Now())
	var (
		prev *fim.DB
		snap *fim.Snapshot
		seq  uint64 = 1
	)
	if cmd == fim.CmdInit {
		if _, err := os.Lstat(path); err == nil {
			return nil, Usagef("an integrity database already exists at %s: accept changes with `cradle fim update`", path)
		}
		if e, err := l.LatestRecord(l.Keys, fimRecord(path)); err == nil {
			seq = recordedSeq(e) + 1 // a database deleted and re-initialised still moves forward
		}
		if snap, err = a.fimWalk(ctx, in, p, nil, r); err != nil {
			return nil, err
		}
	} else {
		if prev, err = a.fimLoad(in.Target, path, false); err != nil {
			return nil, err
		}
		r.Previous = prev.Info(path)
		if snap, err = a.fimCompare(ctx, in, p, prev, r); err != nil {
			return nil, err
		}
		// What is accepted is recorded with what explains it (explained
		// against the database replaced; r.Database is the new one below).
		r.Database = r.Previous
		if err := a.fimExplain(ctx, in, prev, snap, r); err != nil {
			return nil, err
		}
		seq = prev.Header.Seq + 1
	}
	host, _ := os.Hostname()
	h := fim.Header{Target: in.Target.ID(), Host: host, Created: r.Time, Seq: seq, Policy: p.Name, PolicyHash: p.Hash()}
	data, digest, err := fim.Encode(h, snap.Entries, l.Signer)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, Input(fmt.Errorf("integrity database directory: %w", err))
	}
	// Keep what is replaced: a database the log does not record would be
	// refused by the next check, so a failed append puts it back.
	var old []byte
	if prev != nil {
		if old, err = fileutil.ReadBounded(path, fim.MaxFile); err != nil {
			return nil, Input(err)
		}
	}
	if err := fileutil.WriteAtomic(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("write integrity database: %w", err)
	}
	undo := func() error {
		if old == nil {
			return os.Remove(path)
		}
		return fileutil.WriteAtomic(path, old, 0o600)
	}
	details, _ := json.Marshal(fimDetails{DB: path, Seq: seq, Entries: len(snap.Entries), Policy: p.Hash(),
		Accepted: acceptedOf(r)})
	entry := changelog.Entry{Action: changelog.ActionApprove, ChangeRef: in.Change.ChangeRef, Reason: in.Change.Reason,
		Actor: changelog.Actor{Actor: in.Change.Actor}, After: map[string]string{fimRecord(path): digest}, Details: details}
	if prev != nil {
		entry.Before = map[string]string{fimRecord(path): prev.Digest}
	}
	if _, err := l.Append(context.WithoutCancel(ctx), entry); err != nil {
		if uerr := undo(); uerr != nil {
			return nil, errors.Join(appendErr(err), fmt.Errorf("put back the previous integrity database %s: %w", path, uerr))
		}
		return nil, appendErr(err)
	}
	r.Database = &fim.DBInfo{Path: path, Digest: digest, Seq: seq, Created: r.Time, Host: host, KeyID: l.Signer.ID(),
		Entries: len(snap.Entries), PolicyHash: p.Hash()}
	return r, nil
}

// fimSetup reads the policy and resolves the database path.
func (a *App) fimSetup(in FIMInput) (*fim.Policy, string, error) {
	fim.LimitMemory() // peak memory of a system tree (docs/fim.md)
	p := fim.Default()
	if in.Config != "" {
		b, err := ReadInput(in.Config, rules.MaxFileSize)
		if err != nil {
			return nil, "", err
		}
		if p, err = fim.Parse(in.Config, b); err != nil {
			return nil, "", Input(err)
		}
	}
	if in.DB != "" {
		path, err := filepath.Abs(in.DB)
		if err != nil {
			return nil, "", Input(err)
		}
		return p, path, nil
	}
	h, err := a.Home()
	if err != nil {
		return nil, "", err
	}
	return p, h.FIM(in.Target.Key()), nil
}

// fimLoad reads and verifies the database at path: its signature, that
// it belongs to the target, and that it is the one the change log last
// recorded at that path. Every failure is tampering (exit 2), never "no
// change". With entries, the database's entries are kept (show);
// without, only what a walk needs, and DB.Compare reads it again.
func (a *App) fimLoad(s target.Spec, path string, entries bool) (*fim.DB, error) {
	l, h, err := a.changeLog(s)
	if err != nil {
		return nil, err
	}
	keys, err := signing.LoadKeyring(h.Keys())
	if err != nil {
		return nil, Input(err)
	}
	open := func() (io.ReadCloser, error) { return fileutil.OpenRegular(path) }
	var db *fim.DB
	if entries {
		var f io.ReadCloser
		if f, err = open(); err == nil {
			db, err = fim.Read(f, keys)
			f.Close()
		}
	} else {
		// Streamed twice (docs/fim.md): the whole database is never held
		// beside the walk.
		db, err = fim.ReadForWalk(open, keys)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Usagef("no integrity database at %s: create one with `cradle fim init`", path)
	}
	if err != nil {
		return nil, Input(fmt.Errorf("%s: %w", path, err))
	}
	if db.Header.Target != s.ID() {
		return nil, Input(fmt.Errorf("%s: %w: it is the database of %s, not %s", path, fim.ErrTampered, db.Header.Target, s.ID()))
	}
	e, err := l.LatestRecord(keys, fimRecord(path))
	switch {
	case errors.Is(err, changelog.ErrNotFound) || errors.Is(err, changelog.ErrNoLog):
		return nil, Input(fmt.Errorf("%s: %w: the change log of %s records no database at this path", path, fim.ErrTampered, s.ID()))
	case err != nil:
		return nil, Input(fmt.Errorf("%s: %w: the change log that vouches for it does not verify: %v", path, fim.ErrTampered, err))
	case e.After[fimRecord(path)] == db.Digest:
		return db, nil
	case db.Header.Seq < recordedSeq(e):
		return nil, Input(fmt.Errorf("%s: %w: an older database (seq %d) was put back; the change log records seq %d (entry %d)",
			path, fim.ErrTampered, db.Header.Seq, recordedSeq(e), e.Seq))
	}
	return nil, Input(fmt.Errorf("%s: %w: it is not the database the change log records (entry %d)", path, fim.ErrTampered, e.Seq))
}

func recordedSeq(e changelog.Entry) uint64 {
	var d fimDetails
	_ = json.Unmarshal(e.Details, &d)
	return d.Seq
}

// fimCompare walks the target, re-hashing only what changed by metadata
// unless Full, and records the differences from db in r.
func (a *App) fimCompare(ctx context.Context, in FIMInput, p *fim.Policy, db *fim.DB, r *fim.Report) (*fim.Snapshot, error) {
	r.PolicyChanged = db.Header.PolicyHash != p.Hash()
	snap, err := a.fimWalk(ctx, in, p, db.Lender(), r)
	if err != nil {
		return nil, err
	}
	cs, err := db.Compare(snap.Entries, p)
	if err != nil {
		at := r.Previous // update; check compares with r.Database
		if at == nil {
			at = r.Database
		}
		return nil, Input(fmt.Errorf("%s: %w", at.Path, err))
	}
	r.SetChanges(cs)
	return snap, nil
}

func (a *App) fimWalk(ctx context.Context, in FIMInput, p *fim.Policy, prev fim.Lender, r *fim.Report) (*fim.Snapshot, error) {
	t, err := openTarget(ctx, in.Target)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	start := time.Now()
	o, err := a.fimWalkOptions(in, prev, start)
	if err != nil {
		return nil, err
	}
	snap, err := fim.Walk(ctx, t, p, o)
	if wp, ok := in.Progress.(WalkProgress); ok {
		if err == nil {
			wp.Walk(int64(len(snap.Entries)), int64(snap.Hashed), snap.Bytes, time.Since(start), true)
		}
		in.Progress.End()
	}
	if err != nil {
		return nil, err
	}
	r.Full = in.Full
	r.SetWalk(snap, time.Since(start))
	return snap, nil
}
