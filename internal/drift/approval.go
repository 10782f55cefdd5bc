package drift

import "github.com/cradle-cra/cradle/internal/signing"

// ApprovalLog is the signed change log as far as drift needs it: the
// digest of the snapshot its latest approval names.
type ApprovalLog interface {
	LatestApproval(keys signing.Keyring) (digest string, seq uint64, err error)
}

// CheckApproved refuses a snapshot (at path, with digest) that is not the
// one the latest approval in the signed change log commits to: a
// validly signed but older snapshot put back in place (a replay) would
// otherwise hide every change made since. The error matches ErrTampered.
func CheckApproved(path, digest string, log ApprovalLog, keys signing.Keyring) error {
	approved, seq, err := log.LatestApproval(keys)
	if err != nil {
		return tampered(path, "cannot be matched with an approval in the change log: %v", err)
	}
	if approved != digest {
		return tampered(path, "is %s, but the latest approval in the change log (entry %d) is %s: an older snapshot was put back (replayed)",
			digest, seq, approved)
	}
	return nil
}
