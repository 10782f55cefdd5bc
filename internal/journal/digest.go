package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/cradle-cra/cradle/internal/digest"
)

// Seal commits to a run as Apply left it: the digest of its run metadata
// (without the fields rollback changes) and of its journal's records. The
// apply entry of the signed change log carries it (as details
// journal_digest, journal_size, run_digest), which binds the unsigned run
// directory to the signed log: Rollback's caller checks the run against
// it with CheckSeal before restoring anything.
type Seal struct {
	JournalDigest string `json:"journal_digest"` // sha256 of the first JournalSize bytes of journal.jsonl
	JournalSize   int64  `json:"journal_size"`
	RunDigest     string `json:"run_digest"` // sha256 of run.json's fields other than state and rolled_back_at
}

// ErrSealBroken marks a run whose journal or metadata do not match the
// seal in the change log: records were added, removed or edited.
var ErrSealBroken = errors.New("run does not match the change log")

// rollbackKinds are the records Rollback itself appends after the seal; a
// new kind that Rollback writes must be added here, or a resumed rollback
// is refused.
var rollbackKinds = map[string]bool{recRestored: true, recRTReverted: true, recRBTmp: true}

// Seal computes the seal of run id as it is now (complete records only).
func (s *Store) Seal(id string) (Seal, error) {
	run, err := s.Get(id)
	if err != nil {
		return Seal{}, err
	}
	rd, err := runDigest(run)
	if err != nil {
		return Seal{}, err
	}
	b, err := s.journalBytes(id)
	if err != nil {
		return Seal{}, err
	}
	b = b[:bytes.LastIndexByte(b, '\n')+1]
	return Seal{JournalDigest: digest.SHA256(b), JournalSize: int64(len(b)), RunDigest: rd}, nil
}

// CheckSeal verifies run id against want: run metadata unchanged, the
// journal starting with exactly the sealed records, and every record
// after them one that rollback appends itself (so an interrupted rollback
// can be resumed). A forged record — one that would make rollback create,
// restore or remove a path the run never touched — fails with
// ErrSealBroken.
func (s *Store) CheckSeal(id string, want Seal) error {
	run, err := s.Get(id)
	if err != nil {
		return err
	}
	rd, err := runDigest(run)
	if err != nil {
		return err
	}
	if rd != want.RunDigest {
		return fmt.Errorf("%w: run %s: its metadata (run.json) was changed", ErrSealBroken, id)
	}
	b, err := s.journalBytes(id)
	if err != nil {
		return err
	}
	if int64(len(b)) < want.JournalSize || digest.SHA256(b[:want.JournalSize]) != want.JournalDigest {
		return fmt.Errorf("%w: run %s: its journal's records were changed or removed", ErrSealBroken, id)
	}
	after, err := parseJournal(b[want.JournalSize:])
	if err != nil {
		return fmt.Errorf("%w: run %s: journal after the run: %v", ErrSealBroken, id, err)
	}
	for _, r := range after {
		if !rollbackKinds[r.Kind] {
			return fmt.Errorf("%w: run %s: a %q record was added to its journal after the run", ErrSealBroken, id, r.Kind)
		}
	}
	return nil
}

func (s *Store) journalBytes(id string) ([]byte, error) {
	b, err := os.ReadFile(journalPath(s.runDir(id)))
	if err != nil {
		return nil, fmt.Errorf("journal of run %s: %w", id, err)
	}
	return b, nil
}

// runDigest digests the run metadata Apply wrote, leaving out what
// rollback changes.
func runDigest(r *Run) (string, error) {
	c := *r
	c.State, c.RolledBackAt = "", nil
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("run %s: %w", r.ID, err)
	}
	return digest.SHA256(b), nil
}
