package drift

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"time"

	"github.com/cradle-cra/cradle/internal/fileutil"
)

// State remembers the items reported against one approved snapshot, so an
// item keeps the time it was first seen across evaluations and a watcher
// notifies about each item once. It is bound to the snapshot's digest:
// approving a new snapshot starts afresh.
type State struct {
	Snapshot string                `json:"snapshot"`
	Items    map[string]*StateItem `json:"items"`
}

// StateItem is a reported item and whether a watcher has announced it.
type StateItem struct {
	Item     Item `json:"item"`
	Notified bool `json:"notified,omitempty"`
}

// maxStateSize bounds what LoadState reads.
const maxStateSize = 64 << 20

// LoadState reads dir/drift-state.json for the snapshot with digest. A
// missing file, or one for another snapshot, is a fresh state. A damaged
// one is a fresh state and an error to warn about: first-seen times are
// lost, detection is not.
func LoadState(dir, digest string) (*State, error) {
	fresh := &State{Snapshot: digest, Items: map[string]*StateItem{}}
	p := filepath.Join(dir, StateFile)
	b, err := fileutil.ReadBounded(p, maxStateSize)
	if errors.Is(err, fs.ErrNotExist) {
		return fresh, nil
	}
	if err != nil {
		return fresh, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return fresh, fmt.Errorf("drift state %s: %v (starting afresh)", p, err)
	}
	if s.Snapshot != digest || s.Items == nil {
		return fresh, nil
	}
	// The file is ours but lives on disk: an entry that is null or filed
	// under another item's ID is dropped (its first-seen time is lost)
	// rather than trusted.
	for id, si := range s.Items {
		if si == nil || si.Item.ID != id {
			delete(s.Items, id)
		}
	}
	return &s, nil
}

// Save writes the state atomically (0600).
func (s *State) Save(dir string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode drift state: %w", err)
	}
	return fileutil.WriteAtomic(filepath.Join(dir, StateFile), append(b, '\n'), 0o600)
}

// Update merges the current items: known ones get their FirstSeen back
// (items is updated in place), new ones are first seen at now, and the ones
// no longer present are dropped and returned, sorted by ID.
func (s *State) Update(items []Item, now time.Time) (gone []StateItem) {
	cur := map[string]bool{}
	for i := range items {
		it := &items[i]
		cur[it.ID] = true
		if old, ok := s.Items[it.ID]; ok {
			it.FirstSeen = old.Item.FirstSeen
			old.Item = *it
			continue
		}
		it.FirstSeen = now.UTC()
		s.Items[it.ID] = &StateItem{Item: *it}
	}
	for id, si := range s.Items {
		if !cur[id] {
			gone = append(gone, *si)
			delete(s.Items, id)
		}
	}
	slices.SortFunc(gone, func(a, b StateItem) int {
		switch {
		case a.Item.ID < b.Item.ID:
			return -1
		case a.Item.ID > b.Item.ID:
			return 1
		}
		return 0
	})
	return gone
}

// Unnotified returns the current items (in the order given) not yet
// announced, and marks them announced.
func (s *State) Unnotified(items []Item) []Item {
	var out []Item
	for _, it := range items {
		if si, ok := s.Items[it.ID]; ok && !si.Notified {
			si.Notified = true
			out = append(out, si.Item)
		}
	}
	return out
}
