//go:build !linux

package target

// BulkOpener opens files through the target elsewhere.
type BulkOpener struct{ t Target }

func newBulkOpener(t Target) (*BulkOpener, error) { return &BulkOpener{t: t}, nil }

// Close releases the opener.
func (o *BulkOpener) Close() error { return nil }

// Open opens the regular file at the root-relative path rel.
func (o *BulkOpener) Open(rel string) (BulkFile, error) { return openViaTarget(o.t, rel) }

// Readlink reads the symbolic link at the root-relative path rel.
func (o *BulkOpener) Readlink(rel string) (string, error) { return o.t.Readlink(rel) }

// Direct reports whether the opener opens files itself; elsewhere it
// goes through the target.
func (o *BulkOpener) Direct() bool { return false }
