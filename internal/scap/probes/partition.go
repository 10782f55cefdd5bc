package probes

import (
	"context"
	"fmt"

	"github.com/cradle-cra/cradle/internal/collect/mounts"
	"github.com/cradle-cra/cradle/internal/scap/oval"
)

// partition is partition_object: mounted filesystems by mount point. Live
// it reads the running mount table; offline, /etc/fstab (what would be
// mounted at boot), and the evidence says so. Space figures are not
// collected offline.
func (s *state) partition(ctx context.Context, obj *oval.Object, env *oval.Env) (oval.Collected, error) {
	tb, err := memoGet(s, env.Target, "mounts", func() (*mounts.Table, error) { return mounts.Collect(ctx, env.Target) })
	if err != nil {
		return oval.Collected{}, fmt.Errorf("mount table: %w", err)
	}
	entries, note := tb.Fstab, "offline: mounts as /etc/fstab declares them, not a running system's mount table"
	if env.Target.Live() {
		if tb.Running == nil {
			return notCollected("no running mount table (/proc/self/mounts) on the live target"), nil
		}
		entries, note = tb.Running, "running mount table "+tb.RunningSource
	}
	me := obj.Entity("mount_point")
	var items []oval.Item
	for _, e := range entries {
		if e.Dir == "none" || e.Dir == "swap" || e.Type == "swap" {
			continue
		}
		ok, err := me.Match(e.Dir)
		if err != nil {
			return oval.Collected{}, err
		}
		if !ok {
			continue
		}
		f := map[string][]oval.Value{
			"mount_point": str(e.Dir),
			"device":      str(e.Spec),
			"fs_type":     str(e.Type),
		}
		for _, o := range e.Options {
			f["mount_options"] = append(f["mount_options"], oval.Str(o))
		}
		items = append(items, oval.Item{Fields: f})
	}
	return collected(items, note), nil
}
