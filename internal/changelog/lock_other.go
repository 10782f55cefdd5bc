//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package changelog

import "context"

func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	return lockByCreate(ctx, path)
}
