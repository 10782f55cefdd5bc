//go:build !linux

package fswatch

import "context"

// start has no backend outside Linux.
func start(context.Context, []Root, Options, *feed) (string, error) {
	return "", ErrUnsupported
}
