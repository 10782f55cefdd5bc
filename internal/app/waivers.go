package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/home"
	"github.com/cradle-cra/cradle/internal/tailor"
	"github.com/cradle-cra/cradle/internal/target"
)

// waiverRecord is what the change log remembers of one waiver.
type waiverRecord struct {
	Rule          string   `json:"rule"`
	Scope         []string `json:"scope,omitempty"`
	Expires       string   `json:"expires,omitempty"`
	Owner         string   `json:"owner,omitempty"`
	Justification string   `json:"justification"`
	Source        string   `json:"source"`
	Expired       bool     `json:"expired,omitempty"`
}

func (w waiverRecord) key() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s", w.Rule, strings.Join(w.Scope, ","), w.Expires, w.Owner, w.Justification)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// recordWaiverChanges appends waiver-add and waiver-remove entries to the
// target's change log for every waiver that appeared, disappeared or
// expired since the waivers last used with a change-control command (fix,
// baseline approve) on this target. The last state is kept under
// $CRADLE_HOME/waivers.
func recordWaiverChanges(ctx context.Context, h home.Home, l *changelog.Log, w *tailor.Waivers, changeRef, actor string, now time.Time) error {
	if w == nil {
		return nil
	}
	statePath := h.Waivers(target.KeyOf(l.Target))
	last, err := loadWaiverState(statePath)
	if err != nil {
		return err
	}
	cur := map[string]waiverRecord{}
	for _, wv := range w.List {
		r := waiverRecord{Rule: wv.Rule, Scope: wv.Scope, Expires: wv.ExpiresLabel, Owner: wv.Owner, Justification: wv.Justification, Source: wv.Source}
		r.Expired = !wv.Expires.IsZero() && !now.Before(wv.Expires)
		cur[r.key()] = r
	}
	keys := func(m map[string]waiverRecord) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	appendOne := func(action string, r waiverRecord, why string) error {
		details, _ := json.Marshal(r)
		_, err := l.Append(ctx, changelog.Entry{Action: action, Rules: []string{r.Rule}, ChangeRef: changeRef, Reason: why,
			Actor: changelog.Actor{Actor: actor}, Details: details})
		return err
	}
	for _, k := range keys(cur) {
		r, old := cur[k], last[k]
		_, seen := last[k]
		switch {
		case !seen && !r.Expired:
			err = appendOne(changelog.ActionWaiverAdd, r, "waiver added: "+r.Justification)
		case seen && r.Expired && !old.Expired:
			err = appendOne(changelog.ActionWaiverRemove, r, "waiver expired on "+r.Expires)
		}
		if err != nil {
			return err
		}
	}
	for _, k := range keys(last) {
		if _, ok := cur[k]; !ok && !last[k].Expired {
			if err := appendOne(changelog.ActionWaiverRemove, last[k], "waiver removed from the waiver file"); err != nil {
				return err
			}
		}
	}
	out, err := json.MarshalIndent(cur, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(statePath), 0o700); err != nil {
		return err
	}
	return fileutil.WriteAtomic(statePath, out, 0o600)
}

// maxWaiverState bounds the waiver state file read.
const maxWaiverState = 16 << 20

// loadWaiverState reads the waivers last recorded for a target; a missing
// file is an empty state.
func loadWaiverState(p string) (map[string]waiverRecord, error) {
	b, err := fileutil.ReadBounded(p, maxWaiverState)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]waiverRecord{}, nil
	}
	if err != nil {
		return nil, err
	}
	last, err := parseWaiverState(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return last, nil
}

// parseWaiverState decodes the state. A record filed under a key that is
// not its own (damaged or edited) is dropped: the waiver is then announced
// again rather than a removal of a record nobody wrote being logged.
func parseWaiverState(b []byte) (map[string]waiverRecord, error) {
	var last map[string]waiverRecord
	if err := json.Unmarshal(b, &last); err != nil {
		return nil, err
	}
	for k, r := range last {
		if r.key() != k {
			delete(last, k)
		}
	}
	if last == nil {
		last = map[string]waiverRecord{}
	}
	return last, nil
}
