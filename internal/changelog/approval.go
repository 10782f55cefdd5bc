package changelog

import (
	"errors"
	"fmt"
	"os"

	"github.com/cradle-cra/cradle/internal/signing"
)

// ErrNoApproval is returned by LatestApproval when the log records no
// approval.
var ErrNoApproval = errors.New("the change log records no approval")

// LatestApproval verifies the log with keys and returns the snapshot
// digest (After["snapshot"]) of its latest approve entry and that entry's
// seq. A log that does not verify cannot vouch for a snapshot.
func (l *Log) LatestApproval(keys signing.Keyring) (digest string, seq uint64, err error) {
	if _, err := l.Verify(keys); err != nil {
		return "", 0, fmt.Errorf("change log of %s: %w", l.Target, err)
	}
	f, err := os.Open(l.Path())
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	es, err := Entries(f)
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
