//go:build linux

package fswatch

import (
	"context"
	"errors"
)

func startFanotify(ctx context.Context, roots []Root, o Options, raw chan<- []change) error {
	return errors.New("fanotify: not implemented")
}
