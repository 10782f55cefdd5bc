//go:build !linux

package fswatch

import (
	"context"
	"fmt"
)

// NamesBackend is the backend for watching a few named files.
const NamesBackend = Poll

// start polls: outside Linux there is no fanotify or inotify.
func start(ctx context.Context, roots []Root, o Options, raw *feed) (string, error) {
	switch o.Backend {
	case Auto, Poll:
		return Poll, startPoll(ctx, roots, o, raw)
	case Fanotify, Inotify:
		return "", fmt.Errorf("watch backend %s: %w", o.Backend, ErrUnsupported)
	}
	return "", fmt.Errorf("unknown watch backend %q (poll)", o.Backend)
}
