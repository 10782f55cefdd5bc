package checks

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/access"
	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// Remediate edits the account files field by field for the accounts the
// check flags, keeping every other byte; root's password field is never
// changed.
func (c *accountPropertyCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	if !c.Fixable() {
		ch.Defer("fix "+c.a.Property, "needs a decision about the accounts involved")
		return nil
	}
	pf := facts.NewStore(ctx, ch.Overlay())
	db, err := accounts.Get(pf)
	if err != nil {
		return fmt.Errorf("read account database: %w", err)
	}
	switch c.a.Property {
	case "home_dirs":
		return c.fixHomes(ctx, pf, ch)
	case "root_gid0":
		return editColonFile(ch, passwdFile, func(f []string) ([]string, bool) {
			if f[0] != "root" || len(f) < 7 || f[3] == "0" {
				return f, false
			}
			f[3] = "0"
			return f, true
		}, "set root's primary group to 0", remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "root", Value: "gid 0"})
	}
	o := c.Evaluate(ctx, pf)
	if o.Status != result.Fail {
		return nil
	}
	// The evidence names the flagged accounts.
	flagged := map[string]bool{}
	for _, ev := range o.Evidence {
		if u, _, ok := strings.Cut(strings.TrimPrefix(ev.Observed, "user "), ":"); ok && strings.HasPrefix(ev.Observed, "user ") {
			flagged[u] = true
		}
	}
	users := map[string]*accounts.User{}
	for i := range db.Users {
		if flagged[db.Users[i].Name] {
			users[db.Users[i].Name] = &db.Users[i]
		}
	}
	var effects []remedy.Effect
	switch c.a.Property {
	case "password_max_days", "password_min_days", "password_warn_days", "password_inactive":
		if c.a.Property == "password_max_days" || c.a.Property == "password_inactive" {
			if ch.Now().IsZero() {
				ch.Defer("set "+c.a.Property+" for "+strings.Join(sortedKeys(users), ", "), "the date the plan is for is not known: whether the change expires an account today cannot be computed")
				return nil
			}
			c.deferExpiring(ch, users)
		}
		if len(users) == 0 {
			return nil
		}
		field := map[string]int{"password_min_days": 3, "password_max_days": 4, "password_warn_days": 5, "password_inactive": 6}[c.a.Property]
		v := strconv.FormatInt(*c.a.Value, 10)
		err = editColonFile(ch, shadowFile, func(f []string) ([]string, bool) {
			if users[f[0]] == nil || len(f) < 2 {
				return f, false
			}
			for len(f) < 9 {
				f = append(f, "")
			}
			if f[field] == v {
				return f, false
			}
			f[field] = v
			effects = append(effects, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: f[0], Value: c.a.Property + " " + v})
			return f, true
		}, fmt.Sprintf("set %s to %s for %s", c.a.Property, v, strings.Join(sortedKeys(users), ", ")))
	case "system_accounts_nologin":
		shell := nologinPath(ch)
		edit := func(ch *remedy.Changes, users map[string]*accounts.User) ([]remedy.Effect, error) {
			return setShells(ch, users, shell)
		}
		if err := spareAdmins(ctx, ch, users, edit, "set the shell of %s to "+shell,
			"exempt it (the rule's exempt parameter) or give it a UID at or above UID_MIN"); err != nil {
			return err
		}
		effects, err = edit(ch, users)
	case "system_accounts_locked", "no_empty_passwords":
		if u := users["root"]; u != nil {
			delete(users, "root")
			ch.Defer("lock or set root's password", "root's password field is never changed by cradle fix")
		}
		if err := spareAdmins(ctx, ch, users, lockPasswords, "lock the password of %s", "give it an SSH key first (or exempt it)"); err != nil {
			return err
		}
		effects, err = lockPasswords(ch, users)
	}
	if err != nil {
		return err
	}
	for _, e := range effects {
		ch.Effect(e)
	}
	return nil
}

// deferExpiring takes out of users, and defers with the reason, every
// account that the new maximum age or inactive period would leave worse
// off today than it is: a password that expires today (a new one is then
// demanded at every login, key logins included) or an account disabled
// today (every login refused). Such an account is left as it is; its
// user changes the password first, then the fix applies.
func (c *accountPropertyCheck) deferExpiring(ch *remedy.Changes, users map[string]*accounts.User) {
	today := dayOf(ch.Now())
	for _, name := range sortedKeys(users) {
		u := users[name]
		if u.Shadow == nil {
			continue
		}
		after := *u.Shadow
		if c.a.Property == "password_max_days" {
			after.MaxDays = *c.a.Value
		} else {
			after.Inactive = *c.a.Value
		}
		was, will := access.ShadowExpiry(u.Shadow, today), access.ShadowExpiry(&after, today)
		if ageRank(will) <= ageRank(was) {
			continue
		}
		delete(users, name)
		changed := "never (empty field)"
		if u.Shadow.LastChange >= 0 {
			changed = fmt.Sprintf("%s, %d days ago", shadowDate(u.Shadow.LastChange), today-u.Shadow.LastChange)
		}
		what := "its password would expire today: PAM then demands a new password at every login, and key logins without a terminal (scp, ssh HOST CMD, automation) fail"
		if will.Status == access.PAMRefuse {
			what = "the account would be disabled today: PAM account management then refuses every login, SSH keys included"
		}
		ch.Defer(fmt.Sprintf("set %s to %d for %s", c.a.Property, *c.a.Value, name),
			fmt.Sprintf("%s's password was last changed %s; with %s %d %s (now: %s); have %s change the password first (passwd %s), then fix again, or waive the rule for %s",
				name, changed, c.a.Property, *c.a.Value, what, ageText(was), name, name, name))
	}
}

// setShells gives users the shell; it returns the effects to attach.
func setShells(ch *remedy.Changes, users map[string]*accounts.User, shell string) ([]remedy.Effect, error) {
	if len(users) == 0 {
		return nil, nil
	}
	var effects []remedy.Effect
	err := editColonFile(ch, passwdFile, func(f []string) ([]string, bool) {
		if users[f[0]] == nil || len(f) < 7 || isNologin(f[6]) {
			return f, false
		}
		f[6] = shell
		effects = append(effects, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: f[0], Value: "shell " + shell})
		return f, true
	}, fmt.Sprintf("set the shell of %s to %s", strings.Join(sortedKeys(users), ", "), shell))
	return effects, err
}

// lockPasswords locks the empty or hashed passwords of users, in shadow
// or (unshadowed) in passwd; it returns the effects to attach.
func lockPasswords(ch *remedy.Changes, users map[string]*accounts.User) ([]remedy.Effect, error) {
	var effects []remedy.Effect
	lock := func(pw string) (string, bool) {
		st, _ := accounts.Classify(pw)
		if st != accounts.Empty && st != accounts.Hashed {
			return pw, false
		}
		return "!" + pw, true
	}
	var inPasswd, inShadow []string
	for name, u := range users {
		if u.Passwd == "x" {
			inShadow = append(inShadow, name)
		} else {
			inPasswd = append(inPasswd, name)
		}
	}
	slices.Sort(inPasswd)
	slices.Sort(inShadow)
	edit := func(file string, names []string) error {
		if len(names) == 0 {
			return nil
		}
		want := make(map[string]bool, len(names))
		for _, n := range names {
			want[n] = true
		}
		return editColonFile(ch, file, func(f []string) ([]string, bool) {
			if !want[f[0]] || len(f) < 2 {
				return f, false
			}
			var ok bool
			if f[1], ok = lock(f[1]); ok {
				effects = append(effects, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: f[0], Value: "password locked"})
			}
			return f, ok
		}, "lock the password of "+strings.Join(names, ", "))
	}
	err := edit(shadowFile, inShadow)
	if err == nil {
		err = edit(passwdFile, inPasswd)
	}
	return effects, err
}

// spareAdmins takes out of users, and defers with the reason, every
// administrator whom edit would leave with no way to log in. edit is
// tried on a scratch change set over the planned state, and who can log
// in is modelled before and after it (internal/access: shells, passwords,
// SSH keys, sshd's and PAM's account checks). summary names the change
// ("%s": the account), advice what the administrator can do instead.
func spareAdmins(ctx context.Context, ch *remedy.Changes, users map[string]*accounts.User,
	edit func(*remedy.Changes, map[string]*accounts.User) ([]remedy.Effect, error), summary, advice string) error {
	if len(users) == 0 {
		return nil
	}
	before, err := access.Compute(ctx, ch.Overlay(), ch.Now())
	if err != nil {
		return fmt.Errorf("model access before the change: %w", err)
	}
	trial := remedy.New(ch.Overlay())
	trial.SetNow(ch.Now())
	trial.Begin("trial", remedy.Meta{})
	if _, err := edit(trial, users); err != nil {
		return err
	}
	after, err := access.Compute(ctx, trial.Overlay(), ch.Now())
	if err != nil {
		return fmt.Errorf("model access after the change: %w", err)
	}
	losses := access.Diff(before, after)
	for _, name := range sortedKeys(users) {
		why := adminReason(before.Account(name))
		if why == "" || len(loginWays(before.Account(name))) == 0 || len(loginWays(after.Account(name))) > 0 {
			continue
		}
		var lost []string
		for _, l := range losses {
			if l.User == name {
				lost = append(lost, l.Way+": "+l.Reason)
			}
		}
		r := fmt.Sprintf("%s is an administrator (%s) and would lose every way in (%s)", name, why, strings.Join(lost, "; "))
		if root := after.Account("root"); root != nil && len(loginWays(root)) == 0 {
			r += "; root has no way in either"
		}
		delete(users, name)
		ch.Defer(fmt.Sprintf(summary, name), r+"; "+advice+", or waive the rule for "+name)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// nologinPath picks the target's nologin shell.
func nologinPath(ch *remedy.Changes) string {
	for _, p := range []string{"/usr/sbin/nologin", "/sbin/nologin", "/usr/bin/nologin"} {
		if ch.Exists(p) {
			return p
		}
	}
	return "/bin/false"
}

// editColonFile rewrites the lines of a colon-separated account file for
// which edit changes the fields; comments, blank lines and untouched
// entries keep their bytes. A file that is unchanged is not written.
func editColonFile(ch *remedy.Changes, file string, edit func(f []string) ([]string, bool), summary string, effects ...remedy.Effect) error {
	tf, err := readText(ch, file)
	if err != nil {
		return err
	}
	if !tf.exists {
		return fmt.Errorf("%s does not exist", file)
	}
	changed := false
	for i, l := range tf.lines {
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if f, ok := edit(strings.Split(l, ":")); ok {
			tf.lines[i] = strings.Join(f, ":")
			changed = true
		}
	}
	if !changed {
		return nil
	}
	if err := tf.write(ch, 0o640, summary); err != nil {
		return err
	}
	for _, e := range effects {
		ch.Effect(e)
	}
	return nil
}

// fixHomes tightens existing home directories and creates missing ones,
// empty and private to the account.
func (c *accountPropertyCheck) fixHomes(ctx context.Context, pf *facts.Store, ch *remedy.Changes) error {
	db, err := accounts.Get(pf)
	if err != nil {
		return err
	}
	min, _ := uidMin(pf)
	for i := range db.Users {
		u := &db.Users[i]
		if u.UID < min && u.UID != 0 || isNologin(u.Shell) || u.UID == 65534 || slices.Contains(c.a.Exempt, u.Name) {
			continue
		}
		if u.Home == "" || !path.IsAbs(u.Home) {
			ch.Defer("give "+u.Name+" a home directory", "the account has no absolute home directory")
			continue
		}
		fi, err := ch.Stat(u.Home)
		if err != nil {
			if !isNotExist(err) {
				return fmt.Errorf("stat %s: %w", u.Home, err)
			}
			// As mkhomedir_helper would, without skeleton files: an
			// empty private directory owned by the account.
			mode := remedy.ModeFromUnix(0o750 & c.maxMode)
			if err := ch.Mkdir(u.Home, mode, u.UID, u.GID, fmt.Sprintf("create %s for %s (empty, no skeleton files)", u.Home, u.Name)); err != nil {
				return err
			}
			ch.Effect(remedy.Effect{Kind: remedy.EffectAccountChange, Subject: u.Name})
			continue
		}
		if !fi.Mode.IsDir() {
			ch.Defer("replace "+u.Home, u.Home+" is not a directory")
			continue
		}
		if fi.UID != u.UID {
			if err := ch.Chown(u.Home, u.UID, u.GID, fmt.Sprintf("give %s to %s", u.Home, u.Name)); err != nil {
				return err
			}
		}
		if m := PermBits(fi.Mode); m&^c.maxMode != 0 {
			nm := remedy.ModeFromUnix(m & c.maxMode)
			if err := ch.Chmod(u.Home, nm, fmt.Sprintf("chmod %04o %s", m&c.maxMode, u.Home)); err != nil {
				return err
			}
		}
		ch.Effect(remedy.Effect{Kind: remedy.EffectPermissions, Subject: target.Abs(target.Clean(u.Home))})
	}
	return nil
}

var _ check.Remediator = (*accountPropertyCheck)(nil)
