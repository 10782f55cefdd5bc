//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package fileutil

import "context"

func Lock(ctx context.Context, path string) (unlock func(), err error) {
	return lockByCreate(ctx, path)
}
