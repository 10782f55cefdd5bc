package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/cradle-cra/cradle/internal/collect/fswalk"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// fsFix turns the planned mode of one offending entry into the mode that
// passes; returning the mode unchanged leaves the entry alone.
type fsFix func(e fswalk.Entry, mode fs.FileMode) (want fs.FileMode, summary string)

// remediate applies fix to every offender of the walk the check used,
// starting from the planned mode so other rules' changes compose. Other
// systems' trees are not in that walk (or are left out by offenders), so
// a fix never changes a file of theirs.
func (c *fsListCheck) remediate(f *facts.Store, ch *remedy.Changes, fix fsFix) error {
	fw, err := c.scope.walk(f)
	if err != nil {
		return fmt.Errorf("filesystem walk: %w", err)
	}
	l := c.pick(fw)
	offenders, _ := c.offenders(l)
	var changed []string
	for _, e := range offenders {
		fi, err := ch.Lstat(e.Path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed by another rule
		}
		if err != nil {
			return fmt.Errorf("stat %s: %w", e.Path, err)
		}
		if fi.Mode.Type() != e.Mode.Type() {
			continue
		}
		cur := fi.Mode & remedy.PermMask
		want, summary := fix(e, cur)
		if want == cur {
			continue
		}
		if err := ch.Chmod(e.Path, want, fmt.Sprintf("%s (%04o -> %04o)", summary, remedy.ModeToUnix(cur), remedy.ModeToUnix(want))); err != nil {
			return err
		}
		changed = append(changed, e.Path)
	}
	// One effect per path, bounded like the evidence: each Effect call
	// attaches to every chmod recorded above.
	for i, p := range changed {
		if i == maxFSEvidence {
			ch.Effect(remedy.Effect{Kind: remedy.EffectPermissions, Subject: "/", Value: fmt.Sprintf("%d more paths", len(changed)-i)})
			break
		}
		ch.Effect(remedy.Effect{Kind: remedy.EffectPermissions, Subject: p})
	}
	if l.Truncated() {
		ch.Defer(fmt.Sprintf("fix the %s beyond the first %d", c.what, len(l.Entries)),
			fmt.Sprintf("the walk keeps %d of %d candidates; apply this plan and run the fix again for the rest", len(l.Entries), l.Total))
	}
	return nil
}

// Remediate removes write permission for others from world-writable
// files, and gives world-writable directories the sticky bit (only the
// owner may then delete or rename an entry, as in /tmp).
func (c *fsWorldWritableCheck) Remediate(_ context.Context, f *facts.Store, ch *remedy.Changes) error {
	return c.remediate(f, ch, func(e fswalk.Entry, m fs.FileMode) (fs.FileMode, string) {
		if e.Mode.IsDir() {
			if m&0o002 == 0 {
				return m, ""
			}
			return m | fs.ModeSticky, "set the sticky bit on world-writable directory " + target.Abs(e.Path)
		}
		return m &^ 0o002, "remove write permission for others from " + target.Abs(e.Path)
	})
}

// Remediate removes the setuid and setgid bits from programs off the
// allow-list, and group and other write permission from the rest.
func (c *fsSUIDCheck) Remediate(_ context.Context, f *facts.Store, ch *remedy.Changes) error {
	return c.remediate(f, ch, func(e fswalk.Entry, m fs.FileMode) (fs.FileMode, string) {
		probe := e
		probe.Mode = e.Mode.Type() | m
		if m&(fs.ModeSetuid|fs.ModeSetgid) == 0 {
			return m, "" // another rule already dropped the bits
		}
		// Dropping write access alone passes when only that was wrong.
		writable := probe
		writable.Mode &^= 0o022
		if !c.bad(writable) {
			return m &^ 0o022, "remove group and other write permission from setuid/setgid program " + target.Abs(e.Path)
		}
		return m &^ (fs.ModeSetuid | fs.ModeSetgid), "remove the setuid/setgid bits from " + target.Abs(e.Path) + ", which is not on the allow-list"
	})
}
