package target

import (
	"context"
	"fmt"
	"path"
	"sync"
)

// ListEntry is one entry of a directory listing reported by WalkListings.
type ListEntry struct {
	// Name is the entry's base name ("" for the root); it is valid only
	// during the call that reports it.
	Name []byte
	// Info is the entry's lstat; its Path may be empty.
	Info FileInfo
	// Tag is set by the callee for a directory: the walk passes it back
	// as the parent of that directory's own listing.
	Tag int32
}

// ListingFunc receives entries of one directory listing: parent is the
// Tag the callee gave that directory. The root comes first, alone, with
// parent -1. A large directory may come in several calls with the same
// parent. Calls are serialised.
type ListingFunc func(parent int32, ents []ListEntry) error

// WalkListings walks t as Walk does (same options; Regular is ignored)
// but reports whole listings with their entries' base names, so a caller
// that indexes a tree by directory needs no path string per entry: on a
// host's / that is over a million strings and map lookups saved. A
// directory is reported before its listing.
func WalkListings(ctx context.Context, t Target, opts WalkOptions, fn ListingFunc) error {
	opts.Regular = nil
	if d, ok := t.(*dirTarget); ok {
		return walkListingsDir(ctx, d, opts, fn)
	}
	return walkListingsGeneric(ctx, t, opts, fn)
}

// walkListingsGeneric adapts Walk: one call per entry, the parent found
// by its path.
func walkListingsGeneric(ctx context.Context, t Target, opts WalkOptions, fn ListingFunc) error {
	var mu sync.Mutex
	tags := map[string]int32{}
	ent := make([]ListEntry, 1)
	return t.Walk(ctx, opts, func(fi FileInfo) error {
		mu.Lock()
		defer mu.Unlock()
		parent, name := int32(-1), ""
		if fi.Path != "" {
			d, n := path.Split(fi.Path)
			if len(d) > 0 {
				d = d[:len(d)-1]
			}
			p, ok := tags[d]
			if !ok {
				return fmt.Errorf("walk of %s: %s reported before its directory", t.Name(), Abs(fi.Path))
			}
			parent, name = p, n
		}
		ent[0] = ListEntry{Name: []byte(name), Info: fi, Tag: -1}
		if err := fn(parent, ent); err != nil {
			return err
		}
		if fi.Mode.IsDir() {
			tags[fi.Path] = ent[0].Tag
		}
		return nil
	})
}
