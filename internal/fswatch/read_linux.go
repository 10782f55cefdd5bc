//go:build linux

package fswatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/sys/unix"
)

// readEvents reads a backend's descriptor until ctx is done (the
// descriptor is then closed under it) or a read fails for another
// reason: the failure goes to raw, which is closed, so the watch ends
// with it instead of silently seeing nothing more.
func readEvents(ctx context.Context, name string, r io.Reader, parse func([]byte) []change, raw *feed) {
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			switch {
			case errors.Is(err, unix.EINTR):
				continue
			case errors.Is(err, unix.EAGAIN):
				// Only when the descriptor could not join the poller:
				// wait a little instead of spinning.
				select {
				case <-time.After(10 * time.Millisecond):
				case <-ctx.Done():
					return
				}
				continue
			}
			raw.err = fmt.Errorf("%s: reading events: %w", name, err)
			close(raw.c)
			return
		}
		cs := parse(buf[:n])
		if len(cs) == 0 {
			continue
		}
		select {
		case raw.c <- cs:
		case <-ctx.Done():
			return
		}
	}
}
