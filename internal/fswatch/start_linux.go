//go:build linux

package fswatch

import (
	"context"
	"fmt"
)

// NamesBackend is the backend for watching a few named files.
const NamesBackend = Inotify

// start runs the backend (Poll only when asked): fanotify when asked, or by default when a root
// is recursive (filesystem marks cost no per-directory watch; a few
// named files are cheaper to watch with inotify);
// inotify when fanotify is refused (no CAP_SYS_ADMIN, an old kernel, a
// filesystem without file handles).
func start(ctx context.Context, roots []Root, o Options, raw *feed) (string, error) {
	switch o.Backend {
	case Auto, Fanotify, Inotify:
	case Poll:
		return Poll, startPoll(ctx, roots, o, raw)
	default:
		return "", fmt.Errorf("unknown watch backend %q (fanotify, inotify, poll)", o.Backend)
	}
	if o.Backend == Fanotify || (o.Backend == Auto && anyRecursive(roots)) {
		err := startFanotify(ctx, roots, o, raw)
		if err == nil {
			return Fanotify, nil
		}
		if o.Backend == Fanotify {
			return "", err
		}
	}
	return Inotify, startInotify(ctx, roots, o, raw)
}

func anyRecursive(roots []Root) bool {
	for _, r := range roots {
		if r.Recursive {
			return true
		}
	}
	return false
}
