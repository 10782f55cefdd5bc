//go:build !linux

package target

import "context"

func walkListingsDir(ctx context.Context, d *dirTarget, opts WalkOptions, fn ListingFunc) error {
	return walkListingsGeneric(ctx, d, opts, fn)
}
