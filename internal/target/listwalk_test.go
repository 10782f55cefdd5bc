package target

import (
	"context"
	"fmt"
	"reflect"
	"testing"
)

// collectListings rebuilds each entry's path from WalkListings' tags.
func collectListings(t *testing.T, walk func(ListingFunc) error) map[string]FileInfo {
	t.Helper()
	var paths []string // by tag
	got := map[string]FileInfo{}
	err := walk(func(parent int32, ents []ListEntry) error {
		for i := range ents {
			e := &ents[i]
			p := ""
			switch {
			case parent < 0 && len(e.Name) != 0:
				return fmt.Errorf("root entry named %q", e.Name)
			case parent >= 0 && paths[parent] == "":
				p = string(e.Name)
			case parent >= 0:
				p = paths[parent] + "/" + string(e.Name)
			}
			if _, dup := got[p]; dup {
				t.Errorf("listed %q twice", p)
			}
			fi := e.Info
			fi.Path = p
			got[p] = fi
			if fi.Mode.IsDir() {
				e.Tag = int32(len(paths))
				paths = append(paths, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestWalkListings: the listing walk and its portable fallback report
// the entries Walk reports, with the same metadata, and honour Skip and
// Prune.
func TestWalkListings(t *testing.T) {
	root, _ := walkTree(t)
	tg, err := OpenRootFS(root)
	must(t, err)
	defer tg.Close()
	for _, opts := range []WalkOptions{
		{},
		{Skip: []string{"proc"}},
		{Prune: func(dir string, _ DirProbe) string {
			if dir == "var/lib/deep" {
				return "pruned"
			}
			return ""
		}},
	} {
		want := collectWalk(t, tg, opts)
		strip := func(m map[string]FileInfo) map[string][5]any {
			out := map[string][5]any{}
			for p, fi := range m {
				out[p] = [5]any{fi.Mode, fi.UID, fi.Size, fi.ModTime.Unix(), fi.ChangeTime.Unix()}
			}
			return out
		}
		fast := collectListings(t, func(fn ListingFunc) error { return WalkListings(context.Background(), tg, opts, fn) })
		generic := collectListings(t, func(fn ListingFunc) error { return walkListingsGeneric(context.Background(), tg, opts, fn) })
		if !reflect.DeepEqual(strip(fast), strip(want)) {
			t.Errorf("WalkListings %v\nwant %v", keys(fast), keys(want))
		}
		if !reflect.DeepEqual(strip(generic), strip(want)) {
			t.Errorf("generic %v\nwant %v", keys(generic), keys(want))
		}
	}
}
