package changelog

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cradle-cra/cradle/internal/signing"
)

// ErrNoApproval is returned by LatestApproval when the log records no
// approval.
var ErrNoApproval = errors.New("the change log records no approval")

// ErrNotRecorded is returned by ApplyEntry when the log has no apply
// entry for the run.
var ErrNotRecorded = errors.New("the change log has no apply entry for this run")

// verifiedEntries verifies the log with keys and returns its entries: a
// log that does not verify vouches for nothing.
func (l *Log) verifiedEntries(keys signing.Keyring) ([]Entry, error) {
	var es []Entry
	if _, err := l.verify(keys, func(e Entry) { es = append(es, e) }); err != nil {
		return nil, fmt.Errorf("change log of %s: %w", l.Target, err)
	}
	return es, nil
}

// LatestApproval returns the snapshot digest (After["snapshot"]) of the
// latest approve entry of the verified log, and that entry's seq.
func (l *Log) LatestApproval(keys signing.Keyring) (digest string, seq uint64, err error) {
	es, err := l.verifiedEntries(keys)
	if err != nil {
		return "", 0, err
	}
	for i := len(es) - 1; i >= 0; i-- {
		if e := es[i]; e.Action == ActionApprove && e.After["snapshot"] != "" {
			return e.After["snapshot"], e.Seq, nil
		}
	}
	return "", 0, ErrNoApproval
}

// ApplyEntry returns the latest apply entry of the verified log whose
// details name run ({"run": id}).
func (l *Log) ApplyEntry(keys signing.Keyring, run string) (Entry, error) {
	es, err := l.verifiedEntries(keys)
	if err != nil {
		return Entry{}, err
	}
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		var d struct {
			Run string `json:"run"`
		}
		if e.Action == ActionApply && json.Unmarshal(e.Details, &d) == nil && d.Run == run {
			return e, nil
		}
	}
	return Entry{}, fmt.Errorf("%w (run %s)", ErrNotRecorded, run)
}
