package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// Remediate removes the permission bits beyond max_mode and changes the
// owner and group to the first allowed ones, resolving names through the
// target's own /etc/passwd and /etc/group.
func (c *fileModeCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	var db *accounts.DB
	for _, p := range c.args.Paths {
		fi, err := ch.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			if c.args.Missing == "fail" {
				ch.Defer("create "+target.Abs(p), "the rule requires the file to exist; what it should contain is not something a fix can decide")
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("stat %s: %w", target.Abs(p), err)
		}
		changed := false
		if c.hasMode {
			have := PermBits(fi.Mode)
			if extra := have &^ uint32(c.maxMode); extra != 0 {
				want := have &^ extra
				if err := ch.Chmod(p, remedy.ModeFromUnix(want), fmt.Sprintf("remove mode bits %04o from %s (%04o -> %04o)", extra, target.Abs(p), have, want)); err != nil {
					return err
				}
				changed = true
			}
		}
		if c.args.Owner != nil || c.args.Group != nil {
			if db == nil {
				if db, err = accounts.Collect(ctx, ch.Overlay()); err != nil {
					return fmt.Errorf("read accounts: %w", err)
				}
			}
			uid, gid := fi.UID, fi.GID
			var what []string
			if c.args.Owner != nil && !matchesID(c.args.Owner, db.UserName(fi.UID), fi.UID) {
				id, ok := lookupUser(db, c.args.Owner)
				if !ok {
					ch.Defer("change the owner of "+target.Abs(p), "none of "+orList(c.args.Owner)+" is a user in the target's /etc/passwd")
					continue
				}
				uid = id
				what = append(what, "owner "+db.UserName(id))
			}
			if c.args.Group != nil && !matchesID(c.args.Group, db.GroupName(fi.GID), fi.GID) {
				id, ok := lookupGroup(db, c.args.Group)
				if !ok {
					ch.Defer("change the group of "+target.Abs(p), "none of "+orList(c.args.Group)+" is a group in the target's /etc/group")
					continue
				}
				gid = id
				what = append(what, "group "+db.GroupName(id))
			}
			if len(what) > 0 {
				if err := ch.Chown(p, uid, gid, fmt.Sprintf("set %s of %s", strings.Join(what, " and "), target.Abs(p))); err != nil {
					return err
				}
				changed = true
			}
		}
		if changed {
			ch.Effect(remedy.Effect{Kind: remedy.EffectPermissions, Subject: target.Abs(p)})
		}
	}
	return nil
}

// lookupUser returns the uid of the first allowed name or number that the
// account database knows (a number is taken as is).
func lookupUser(db *accounts.DB, allowed []string) (uint32, bool) {
	for _, a := range allowed {
		for _, u := range db.Users {
			if u.Name == a {
				return u.UID, true
			}
		}
		if n, err := strconv.ParseUint(a, 10, 32); err == nil {
			return uint32(n), true
		}
	}
	return 0, false
}

func lookupGroup(db *accounts.DB, allowed []string) (uint32, bool) {
	for _, a := range allowed {
		for _, g := range db.Groups {
			if g.Name == a {
				return g.GID, true
			}
		}
		if n, err := strconv.ParseUint(a, 10, 32); err == nil {
			return uint32(n), true
		}
	}
	return 0, false
}

// Remediate removes the files that must be absent (a symlink itself, not
// what it points to).
func (c *fileExistsCheck) Remediate(_ context.Context, _ *facts.Store, ch *remedy.Changes) error {
	if c.a.Present {
		ch.Defer("create "+orList(c.a.Paths), "the rule requires the file to exist; what it should contain is not something a fix can decide")
		return nil
	}
	for _, p := range c.a.Paths {
		if err := removeFile(ch, p); err != nil {
			return err
		}
	}
	return nil
}

// removeFile plans the removal of p (a symlink itself, not what it points
// to); a directory is deferred to a person, a missing file is no change.
func removeFile(ch *remedy.Changes, p string) error {
	fi, err := ch.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stat %s: %w", target.Abs(p), err)
	}
	if fi.Mode.IsDir() {
		ch.Defer("remove "+target.Abs(p), "it is a directory; remove it and its contents by hand")
		return nil
	}
	if err := ch.Remove(p, "remove "+target.Abs(p)); err != nil {
		return err
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectPermissions, Subject: target.Abs(p)})
	return nil
}
