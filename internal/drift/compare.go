package drift

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// Item kinds.
const (
	KindRuleStatus = "rule_status"
	KindValue      = "value"
	KindFile       = "file"
)

// Changes.
const (
	ChangeNewFailure = "new_failure" // was pass/not_applicable/waived, now fail/error
	ChangeResolved   = "resolved"    // was fail/error, now not
	ChangeChanged    = "changed"
	ChangeAdded      = "added"    // a path that was absent at approval exists
	ChangeRemoved    = "removed"  // a path that existed at approval is gone
	ChangeInScope    = "in_scope" // the rules now read a path they did not read at approval
)

// NotEvaluated stands for a rule missing on one side (the catalog changed).
const NotEvaluated = "not_evaluated"

// Item is one difference between the approved snapshot and the target now.
type Item struct {
	// ID identifies the item across evaluations: the same difference (same
	// subject, same before and after) keeps its ID and so its FirstSeen.
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Change   string `json:"change"`
	Rule     string `json:"rule,omitempty"`
	Path     string `json:"path,omitempty"`     // absolute inside the target
	Attr     string `json:"attr,omitempty"`     // file items: sha256, mode, owner, type, link, error, size, entry
	Expected string `json:"expected,omitempty"` // value items: what the rule expects
	Before   string `json:"before"`
	After    string `json:"after"`
	// FirstSeen is when this item was first reported.
	FirstSeen time.Time `json:"first_seen"`
}

func (it *Item) setID() {
	h := sha256.New()
	for _, s := range []string{it.Kind, it.Change, it.Rule, it.Path, it.Attr, it.Expected, it.Before, it.After} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	it.ID = hex.EncodeToString(h.Sum(nil)[:8])
}

var kindOrder = map[string]int{KindRuleStatus: 0, KindValue: 1, KindFile: 2}

func failing(s string) bool { return s == string(result.Fail) || s == string(result.Error) }

// Compare lists what differs between the approved snapshot and cur, a
// snapshot captured now over the approved paths plus the ones the rescan
// read. Items are ordered by kind, rule, path.
func Compare(approved, cur *Snapshot) []Item {
	var items []Item
	add := func(it Item) {
		it.setID()
		items = append(items, it)
	}
	compareRules(approved, cur, add)
	compareFiles(approved, cur, add)
	slices.SortStableFunc(items, func(a, b Item) int {
		if d := kindOrder[a.Kind] - kindOrder[b.Kind]; d != 0 {
			return d
		}
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Attr, b.Attr)
	})
	// A difference is reported once even if two routes find it.
	return slices.CompactFunc(items, func(a, b Item) bool { return a.ID == b.ID })
}

func compareRules(approved, cur *Snapshot, add func(Item)) {
	now := map[string]RuleState{}
	for _, r := range cur.Rules {
		now[r.ID] = r
	}
	seen := map[string]bool{}
	for _, b := range approved.Rules {
		seen[b.ID] = true
		a, ok := now[b.ID]
		after := NotEvaluated
		if ok {
			after = string(a.Status)
		}
		if after != string(b.Status) {
			add(Item{Kind: KindRuleStatus, Change: statusChange(string(b.Status), after), Rule: b.ID, Before: string(b.Status), After: after})
		}
		if ok {
			compareValues(b, a, add)
		}
	}
	for _, a := range cur.Rules {
		if !seen[a.ID] {
			add(Item{Kind: KindRuleStatus, Change: statusChange(NotEvaluated, string(a.Status)), Rule: a.ID, Before: NotEvaluated, After: string(a.Status)})
		}
	}
}

func statusChange(before, after string) string {
	switch {
	case !failing(before) && failing(after):
		return ChangeNewFailure
	case failing(before) && !failing(after):
		return ChangeResolved
	}
	return ChangeChanged
}

// compareValues matches evidence by what the rule expects (and, for
// repeated expectations, by position among them), not by file or line: a
// value moved to a drop-in or shifted by an edit above it is the same value.
func compareValues(b, a RuleState, add func(Item)) {
	type keyed struct {
		key string
		v   Value
	}
	index := func(vs []Value) ([]keyed, map[string]Value) {
		n := map[string]int{}
		var order []keyed
		m := map[string]Value{}
		for _, v := range vs {
			k := fmt.Sprintf("%s\x00%d", v.Expected, n[v.Expected])
			n[v.Expected]++
			order = append(order, keyed{k, v})
			m[k] = v
		}
		return order, m
	}
	bo, bm := index(b.Values)
	ao, am := index(a.Values)
	for _, kv := range bo {
		av, ok := am[kv.key]
		if ok && av.Observed == kv.v.Observed {
			continue
		}
		file := kv.v.File
		if ok && av.File != "" {
			file = av.File
		}
		add(Item{Kind: KindValue, Change: ChangeChanged, Rule: b.ID, Path: file, Expected: kv.v.Expected, Before: kv.v.Observed, After: av.Observed})
	}
	for _, kv := range ao {
		if _, ok := bm[kv.key]; !ok {
			add(Item{Kind: KindValue, Change: ChangeChanged, Rule: a.ID, Path: kv.v.File, Expected: kv.v.Expected, After: kv.v.Observed})
		}
	}
}

func compareFiles(approved, cur *Snapshot, add func(Item)) {
	before := map[string]FileState{}
	for _, f := range approved.Files {
		before[f.Path] = f
	}
	now := map[string]FileState{}
	for _, f := range cur.Files {
		now[f.Path] = f
	}
	for _, b := range approved.Files {
		a, ok := now[b.Path]
		if !ok {
			continue // left out of a capped capture
		}
		compareFile(b, a, add)
		if b.Listed && a.Listed && !b.EntriesTruncated && !a.EntriesTruncated {
			compareEntries(b, a, before, now, add)
		}
	}
	for _, a := range cur.Files {
		if _, ok := before[a.Path]; ok || a.Type == TypeAbsent {
			continue
		}
		if dir, ok := before[parent(a.Path)]; ok && dir.Listed && !dir.EntriesTruncated {
			if !slices.Contains(dir.Entries, path.Base(a.Path)) {
				add(Item{Kind: KindFile, Change: ChangeAdded, Path: target.Abs(a.Path), Before: TypeAbsent, After: describe(a)})
			}
			continue // it existed at approval, unread: nothing to compare with
		}
		if approved.FilesTruncated {
			continue
		}
		add(Item{Kind: KindFile, Change: ChangeInScope, Path: target.Abs(a.Path), After: describe(a)})
	}
}

func compareFile(b, a FileState, add func(Item)) {
	p := target.Abs(b.Path)
	switch {
	case b.Type == a.Type && b.Type == TypeAbsent:
		return
	case b.Type == TypeAbsent:
		add(Item{Kind: KindFile, Change: ChangeAdded, Path: p, Before: TypeAbsent, After: describe(a)})
		return
	case a.Type == TypeAbsent:
		add(Item{Kind: KindFile, Change: ChangeRemoved, Path: p, Before: describe(b), After: TypeAbsent})
		return
	}
	attr := func(name, before, after string) {
		if before != after {
			add(Item{Kind: KindFile, Change: ChangeChanged, Path: p, Attr: name, Before: before, After: after})
		}
	}
	attr("type", b.Type, a.Type)
	attr("link", b.Link, a.Link)
	attr("error", b.Error, a.Error)
	attr("mode", b.Mode, a.Mode)
	attr("owner", owner(b), owner(a))
	switch {
	case b.Error != "" || a.Error != "":
	case b.TooLarge || a.TooLarge:
		attr("size", fmt.Sprint(b.Size), fmt.Sprint(a.Size))
	default:
		attr("sha256", b.SHA256, a.SHA256)
	}
}

// compareEntries reports names added to or removed from a listed
// directory that are not compared as paths of their own.
func compareEntries(b, a FileState, before, now map[string]FileState, add func(Item)) {
	own := func(name string) bool {
		p := path.Join(b.Path, name)
		_, inB := before[p]
		_, inA := now[p]
		return inB || inA
	}
	for _, n := range a.Entries {
		if !slices.Contains(b.Entries, n) && !own(n) {
			add(Item{Kind: KindFile, Change: ChangeAdded, Path: target.Abs(path.Join(b.Path, n)), Attr: "entry", Before: TypeAbsent, After: "present in " + target.Abs(b.Path)})
		}
	}
	for _, n := range b.Entries {
		if !slices.Contains(a.Entries, n) && !own(n) {
			add(Item{Kind: KindFile, Change: ChangeRemoved, Path: target.Abs(path.Join(b.Path, n)), Attr: "entry", Before: "present in " + target.Abs(b.Path), After: TypeAbsent})
		}
	}
}

func owner(f FileState) string {
	if f.Mode == "" {
		return ""
	}
	return fmt.Sprintf("%d:%d", f.UID, f.GID)
}

// describe summarises a path's state in one line for added/removed items.
func describe(f FileState) string {
	var b strings.Builder
	b.WriteString(f.Type)
	if f.Link != "" {
		b.WriteString(" -> " + f.Link)
	}
	if f.Mode != "" {
		fmt.Fprintf(&b, " mode %s owner %s", f.Mode, owner(f))
	}
	if f.SHA256 != "" {
		b.WriteString(" " + f.SHA256)
	}
	if f.Error != "" {
		b.WriteString(" (" + f.Error + ")")
	}
	return b.String()
}
