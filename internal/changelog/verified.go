package changelog

import "github.com/cradle-cra/cradle/internal/signing"

// VerifiedEntries returns every entry of the log, oldest first, after
// verifying the whole log with keys; a log that does not verify is an
// error (nothing of it is returned).
func (l *Log) VerifiedEntries(keys signing.Keyring) ([]Entry, error) { return l.verifiedEntries(keys) }
