package changelog

import (
	"errors"
	"fmt"

	"github.com/cradle-cra/cradle/internal/signing"
)

// ErrNotFound is returned by LatestRecord when no entry records the
// subject.
var ErrNotFound = errors.New("the change log records nothing for this subject")

// LatestRecord returns the latest entry of the verified log whose After
// names subject (an integrity database records After["fim:<path>"]). A
// log that does not verify is an error, never "not found".
func (l *Log) LatestRecord(keys signing.Keyring, subject string) (Entry, error) {
	es, err := l.verifiedEntries(keys)
	if err != nil {
		return Entry{}, err
	}
	for i := len(es) - 1; i >= 0; i-- {
		if _, ok := es[i].After[subject]; ok {
			return es[i], nil
		}
	}
	return Entry{}, fmt.Errorf("%w (%s)", ErrNotFound, subject)
}
