//go:build !linux

package journal

import (
	"context"
	"errors"
	"fmt"

	"github.com/cradle-cra/cradle/internal/remedy"
)

// The journal relies on Linux owners, extended attributes, nanosecond
// times and symlink-free path resolution; fix runs only target Linux
// trees.
var errPlatform = fmt.Errorf("journal: %w on this platform", errors.ErrUnsupported)

// Apply reports errors.ErrUnsupported off Linux.
func (s *Store) Apply(ctx context.Context, root string, run Run, changes []remedy.PathChange, rt []remedy.Runtime, opts ApplyOptions) (*Run, error) {
	return nil, errPlatform
}

// Rollback reports errors.ErrUnsupported off Linux.
func (s *Store) Rollback(ctx context.Context, root, id string, opts RollbackOptions) (*RollbackResult, error) {
	return nil, errPlatform
}

func ignorableSyncErr(err error) bool { return false }
