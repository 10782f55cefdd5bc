package app

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/journal"
)

// sealDetails adds run id's seal to an apply entry's details, binding the
// run directory to the signed log.
func sealDetails(store *journal.Store, id string, detail map[string]any) error {
	seal, err := store.Seal(id)
	if err != nil {
		return fmt.Errorf("seal run %s: %w", id, err)
	}
	detail["journal_digest"], detail["journal_size"], detail["run_digest"] = seal.JournalDigest, seal.JournalSize, seal.RunDigest
	return nil
}

// checkRunRecorded refuses to roll back a run that the signed change log
// does not vouch for: no apply entry (Usage, unless force: an apply killed
// before it was logged), or a journal or run.json that differs from the
// seal in the entry (Findings). Entries written before runs were sealed
// carry no seal and are let through with a warning.
func (a *App) checkRunRecorded(clog *changelog.Log, store *journal.Store, id string, force bool) error {
	e, err := clog.ApplyEntry(clog.Keys, id)
	switch {
	case errors.Is(err, changelog.ErrNotRecorded):
		if force {
			a.warn(fmt.Errorf("run %s has no apply entry in the change log; rolling back its unverified journal because of --force", id))
			return nil
		}
		return Usagef("%v: its journal cannot be verified (an apply killed before it was logged, or a planted run); --force rolls it back anyway", err)
	case err != nil:
		return Findingsf("cannot verify run %s: %v", id, err)
	}
	var seal journal.Seal
	if err := json.Unmarshal(e.Details, &seal); err != nil || seal.JournalDigest == "" {
		a.warn(fmt.Errorf("the apply entry %d of run %s has no journal seal (written by an older version): its journal is not verified", e.Seq, id))
		return nil
	}
	if err := store.CheckSeal(id, seal); err != nil {
		return Findingsf("refusing to roll back: %v (apply entry %d)", err, e.Seq)
	}
	return nil
}
