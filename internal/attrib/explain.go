package attrib

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"lukechampine.com/blake3"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/fim"
	"github.com/cradle-cra/cradle/internal/target"
)

// Evidence is what changes are explained with.
type Evidence struct {
	// Log holds the verified change-log entries appended after the
	// integrity database was recorded, oldest first.
	Log []changelog.Entry
	// Packages is the package index; nil when the target has none.
	Packages *Index
	// Since is when the database was written: package actions before it
	// are already in the database.
	Since time.Time
	// Run, when set, describes a fix run by id (its journal): state and
	// time for the report.
	Run func(id string) (state string, at time.Time, ok bool)
}

// Current returns the entry a path has now (nil when removed).
type Current func(path string) *fim.Entry

// Explain sets Explained on every change: the newest change-log entry
// that names the path and left it in exactly its current state (a fix
// run's apply entry, or one appended with `cradle log append --path`);
// else the installed package whose recorded digest the current content
// has; else a directory whose only differences are its times, size or
// link count is accounted for by the explained changes inside it; else
// none. t is read for the digests packages record (md5).
func Explain(ctx context.Context, t target.Target, changes []fim.Change, cur Current, ev Evidence) error {
	explained := map[string]*fim.Explanation{}
	buf := make([]byte, 256<<10)
	for i := range changes {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := &changes[i]
		if c.Type == fim.TypeDir && dirTimesOnly(c) {
			continue // after the files: see below
		}
		c.Explained = explainOne(t, c, cur(c.Path), ev, buf)
		if c.Explained.By != fim.ByNone {
			explained[c.Path] = c.Explained
		}
	}
	// Sorted once: the changes below a directory are one range of it.
	below := make([]string, 0, len(explained))
	for p := range explained {
		below = append(below, p)
	}
	sort.Strings(below)
	for i := range changes {
		c := &changes[i]
		if c.Explained != nil {
			continue
		}
		c.Explained = explainOne(t, c, cur(c.Path), ev, buf)
		if c.Explained.By != fim.ByNone {
			continue
		}
		// The nearest explained change below it (a child first; an
		// overlay copies ancestors up too).
		best := nearestBelow(below, c.Path)
		if x := explained[best]; x != nil {
			c.Explained = &fim.Explanation{By: x.By, Ref: x.Ref, Detail: "only its times, size or link count changed, by the change of " + best}
		}
	}
	return nil
}

// nearestBelow is the shallowest path of sorted below dir, the first in
// order among equally shallow ones; "" when none is below it.
func nearestBelow(sorted []string, dir string) string {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	child := strings.Count(prefix, "/") // the depth of a direct child
	best, depth := "", 0
	for i := sort.SearchStrings(sorted, prefix); i < len(sorted) && strings.HasPrefix(sorted[i], prefix); i++ {
		d := strings.Count(sorted[i], "/")
		if best == "" || d < depth {
			best, depth = sorted[i], d
			if d <= child {
				break // none is shallower
			}
		}
	}
	return best
}

// dirTimesOnly: a directory whose entries were added, removed or
// renamed, and nothing else about it changed.
func dirTimesOnly(c *fim.Change) bool {
	if c.Kind != fim.Changed {
		return false
	}
	for _, d := range c.Diffs {
		switch fim.Attr(d.Attr) {
		case fim.AttrMtime, fim.AttrCtime, fim.AttrSize, fim.AttrLinks:
		default:
			return false
		}
	}
	return true
}

func explainOne(t target.Target, c *fim.Change, e *fim.Entry, ev Evidence, buf []byte) *fim.Explanation {
	var stale *fim.Explanation
	for i := len(ev.Log) - 1; i >= 0; i-- {
		le := ev.Log[i]
		after, ok := le.After[c.Path]
		if !ok {
			if _, ok := le.Before[c.Path]; ok && le.Action == changelog.ActionApply && le.After == nil {
				// A run that failed part-way records no resulting state:
				// nothing says which state it left, so it explains none
				// (a package's digest still may).
				if stale == nil {
					x := fixExplanation(le, ev, "")
					stale = &fim.Explanation{By: fim.ByNone, Detail: "touched by cradle fix run " + x.Ref + ", which failed part-way and records no resulting state (" + strings.TrimPrefix(x.Detail, "cradle fix run, ") + ")"}
				}
				break
			}
			continue
		}
		if !matches(after, e) || !contentMatches(t, c.Path, after, e, buf) {
			if stale == nil {
				stale = &fim.Explanation{By: fim.ByNone, Detail: fmt.Sprintf("changed again after %s, which left it as %s", describe(le), after)}
			}
			continue
		}
		if stale != nil {
			break // a later entry names it in another state: this one no longer explains it
		}
		if le.Action == changelog.ActionApply {
			return fixExplanation(le, ev, "")
		}
		d := le.Action + " entry"
		if le.ChangeRef != "" {
			d += ", change " + le.ChangeRef
		}
		if le.Reason != "" {
			d += ": " + le.Reason
		}
		return &fim.Explanation{By: fim.ByChangeLog, Ref: "entry " + strconv.FormatUint(le.Seq, 10), Detail: d + " (" + le.Actor.String() + ", " + le.Time + ")"}
	}
	if x := explainPackage(t, c, e, ev, buf); x != nil {
		return x
	}
	if stale != nil {
		return stale
	}
	return &fim.Explanation{By: fim.ByNone}
}

func describe(le changelog.Entry) string {
	if le.Action == changelog.ActionApply {
		return "fix run " + runID(le)
	}
	return "change-log entry " + strconv.FormatUint(le.Seq, 10)
}

func runID(le changelog.Entry) string {
	var d struct {
		Run string `json:"run"`
	}
	_ = json.Unmarshal(le.Details, &d)
	if d.Run == "" {
		return "(entry " + strconv.FormatUint(le.Seq, 10) + ")"
	}
	return d.Run
}

func fixExplanation(le changelog.Entry, ev Evidence, note string) *fim.Explanation {
	id := runID(le)
	d := "cradle fix run, change-log entry " + strconv.FormatUint(le.Seq, 10)
	if len(le.Rules) > 0 {
		d += ", rules " + strings.Join(le.Rules, ", ")
	}
	if le.ChangeRef != "" {
		d += ", change " + le.ChangeRef
	}
	if ev.Run != nil {
		if state, at, ok := ev.Run(id); ok {
			d += fmt.Sprintf("; journal: %s at %s", state, at.UTC().Format(time.RFC3339))
		} else {
			d += "; its journal is gone"
		}
	}
	if note != "" {
		d += "; " + note
	}
	return &fim.Explanation{By: fim.ByFix, Ref: id, Detail: d}
}

// explainPackage: the current content is what an installed package ships
// at the path. A changed mode, owner, type or link target is not
// something md5sums can vouch for, so it explains only content changes.
func explainPackage(t target.Target, c *fim.Change, e *fim.Entry, ev Evidence, buf []byte) *fim.Explanation {
	if ev.Packages == nil || e == nil || e.Type != fim.TypeFile || c.Kind == fim.Removed {
		return nil
	}
	for _, d := range c.Diffs {
		switch fim.Attr(d.Attr) {
		case fim.AttrMode, fim.AttrOwner, fim.AttrGroup, fim.AttrType, fim.AttrTarget:
			return nil
		}
	}
	sums := map[string]string{}
	for _, o := range ev.Packages.Owners(c.Path) {
		if o.Digest == "" || ev.Packages.Location(c.Path, o) != c.Path {
			continue // diverted: this package's file is installed elsewhere
		}
		got, ok := sums[o.Algo]
		if !ok {
			if o.Algo == AlgoSHA256 && e.SHA256 != "" {
				got = e.SHA256
			} else {
				// The file is read again here: it must still be the
				// content the walk recorded, or the digest would vouch
				// for a file other than the one reported.
				g, err := digestAs(t, c.Path, o.Algo, e.SHA256, buf)
				if err != nil {
					return nil
				}
				got = g
			}
			sums[o.Algo] = got
		}
		if got != o.Digest {
			continue
		}
		d := "content matches the " + o.Algo + " the installed package records"
		if o.Conffile {
			d = "conffile as the installed package ships it (" + o.Algo + ")"
		}
		if at, what := ev.Packages.lastAction(o.Package, ev.Since); what != "" {
			d += fmt.Sprintf("; dpkg.log: %s at %s", what, at.Format("2006-01-02 15:04:05"))
		}
		return &fim.Explanation{By: fim.ByPackage, Ref: o.Ref(), Detail: d}
	}
	return nil
}

// lastAction is the latest dpkg.log action on pkg since (with a day of
// slack: the log's times are local).
func (x *Index) lastAction(pkg string, since time.Time) (time.Time, string) {
	for i := len(x.Events) - 1; i >= 0; i-- {
		ev := x.Events[i]
		if ev.Package != pkg || ev.Action == "trigproc" || ev.Action == "configure" {
			continue
		}
		if !since.IsZero() && ev.Time.Before(since.Add(-24*time.Hour)) {
			break
		}
		what := ev.Action
		if ev.New != "" && ev.New != "<none>" {
			what += " " + ev.Old + " -> " + ev.New
		}
		return ev.Time, what
	}
	return time.Time{}, ""
}

// matches says whether a change-log state ("absent", "file sha256:<hex>
// mode 0644 owner 0:0", "symlink <target>", "<kind> mode ... owner ...")
// is the state e is in (nil: absent). A sha256 the fim entry does not
// record is checked against the file by contentMatches.
func matches(state string, e *fim.Entry) bool {
	if e == nil {
		return state == "absent"
	}
	if link, ok := strings.CutPrefix(state, "symlink "); ok {
		return e.Type == fim.TypeSymlink && e.Target == link
	}
	f := strings.Fields(state)
	var kind, sum string
	switch {
	case len(f) == 6 && f[0] == "file":
		kind, sum, f = "file", f[1], f[2:]
	case len(f) == 5:
		kind, f = f[0], f[1:]
	default:
		return false
	}
	if f[0] != "mode" || f[2] != "owner" {
		return false
	}
	want := map[string]string{"file": fim.TypeFile, "directory": fim.TypeDir}[kind]
	if want == "" && kind == "special" {
		want = e.Type
		if e.Type == fim.TypeFile || e.Type == fim.TypeDir || e.Type == fim.TypeSymlink {
			return false
		}
	}
	if want != e.Type {
		return false
	}
	mode, err := strconv.ParseUint(f[1], 8, 32)
	if err != nil || uint32(mode) != e.Mode {
		return false
	}
	if f[3] != fmt.Sprintf("%d:%d", e.UID, e.GID) {
		return false
	}
	if kind == "file" && e.SHA256 != "" {
		return strings.TrimPrefix(sum, "sha256:") == e.SHA256
	}
	return true
}

// contentMatches checks a "file sha256:<hex> ..." state against the
// content when the walk recorded no sha256 (the policy selects another
// digest, or none), which matches cannot compare: the file is read once
// for its sha256 and, to be sure it is the content the walk saw, the
// digests the walk did record.
func contentMatches(t target.Target, p, state string, e *fim.Entry, buf []byte) bool {
	if e == nil || e.Type != fim.TypeFile || e.SHA256 != "" {
		return true
	}
	f := strings.Fields(state)
	if len(f) != 6 || f[0] != "file" || !strings.HasPrefix(f[1], "sha256:") {
		return true
	}
	s256, s512, b3 := sha256.New(), sha512.New(), blake3.New(32, nil)
	if _, _, err := readDigest(t, p, multiHash{s256, s512, b3}, buf); err != nil {
		return false // unreadable: nothing vouches for it
	}
	return hex.EncodeToString(s256.Sum(nil)) == strings.TrimPrefix(f[1], "sha256:") &&
		(e.SHA512 == "" || hex.EncodeToString(s512.Sum(nil)) == e.SHA512) &&
		(e.BLAKE3 == "" || hex.EncodeToString(b3.Sum(nil)) == e.BLAKE3)
}
