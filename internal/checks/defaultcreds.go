package checks

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/credcheck"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
)

// defaultCredsTemplate fails when an account can log in with a well-known
// default password or with no password at all:
//
//	default_credentials:
//	  accounts: all            # all (default) | login: only accounts with a login shell
//	  extra_passwords: [acme]  # vendor-specific defaults, tried first
//	  max_sha_rounds: 100000   # SHA-crypt hashes with more rounds are skipped
//	  max_bcrypt_cost: 11      # bcrypt hashes with a higher cost are skipped
//
// Every account whose password field (shadow(5), or passwd(5) when it
// holds a hash itself) is a usable hash (not locked with '!' or '*', not
// empty) is tested against the embedded core list of default
// passwords (internal/credcheck/default-passwords.txt), its own name and
// its name reversed, and a cheap hash (MD5-crypt, SHA-crypt up to 10000
// rounds, bcrypt up to cost 6, small yescrypt) against the extended list
// too. An empty field fails outright.
//
// The run is not timed: every candidate is tested, in parallel, so the
// verdict depends on the target alone, never on the machine or its load.
// A counted work cap (credcheck.DefaultMaxWork) bounds hostile targets
// with many costly hashes; accounts past it are skipped, again the same
// ones on every machine.
//
// Verified schemes: yescrypt (the Debian 12, Ubuntu 22.04+ and Fedora
// default), SHA-crypt, MD5-crypt and bcrypt. Hashes that cannot be tested
// — another scheme (gost-yescrypt, scrypt, DES), a work factor above the
// caps, or the work cap — are never counted as
// passing: the result is fail when any account matched or has an empty
// password; otherwise error when every usable hash was skipped; otherwise
// pass, with the skipped accounts and their schemes listed in the evidence
// and the reason. Evidence names the account, the scheme and, for a match,
// the password masked to its first character; never a hash.
type defaultCredsTemplate struct{}

type defaultCredsArgs struct {
	Accounts       string   `yaml:"accounts"`
	ExtraPasswords []string `yaml:"extra_passwords"`
	Budget         string   `yaml:"budget"`
	MaxSHARounds   int      `yaml:"max_sha_rounds"`
	MaxBcryptCost  int      `yaml:"max_bcrypt_cost"`
}

type defaultCredsCheck struct {
	loginOnly bool
	opts      credcheck.Options
}

func (defaultCredsTemplate) Name() string { return "default_credentials" }

func (defaultCredsTemplate) New(n *yaml.Node) (check.Check, error) {
	var a defaultCredsArgs
	if n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		n = &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	}
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	c := &defaultCredsCheck{opts: credcheck.Options{Extra: a.ExtraPasswords, Limits: credcheck.DefaultLimits}}
	switch a.Accounts {
	case "", "all":
	case "login":
		c.loginOnly = true
	default:
		return nil, check.ArgErrorf(n, "accounts must be all or login, not %q", a.Accounts)
	}
	if a.Budget != "" {
		// Refused rather than ignored: a time budget made the verdict
		// depend on the machine's load.
		return nil, check.ArgErrorf(n, "budget is no longer supported: the check tests its fixed candidate list completely (see docs/rule-format.md)")
	}
	if a.MaxSHARounds < 0 || a.MaxBcryptCost < 0 || a.MaxBcryptCost > 31 {
		return nil, check.ArgErrorf(n, "max_sha_rounds and max_bcrypt_cost must be positive (bcrypt cost at most 31)")
	}
	if a.MaxSHARounds > 0 {
		c.opts.Limits.MaxSHARounds = a.MaxSHARounds
	}
	if a.MaxBcryptCost > 0 {
		c.opts.Limits.MaxBcryptCost = a.MaxBcryptCost
	}
	for _, p := range a.ExtraPasswords {
		if p == "" || len(p) > 256 {
			return nil, check.ArgErrorf(n, "extra_passwords: entries must be 1 to 256 bytes")
		}
	}
	if len(a.ExtraPasswords) > 10000 {
		return nil, check.ArgErrorf(n, "extra_passwords: at most 10000 entries")
	}
	return c, nil
}

// effectivePassword returns the password field login checks for u, as
// pam_unix does: the passwd(5) field itself unless it is "x" (or "##name"),
// which defers to shadow(5). ok is false for "x" without a shadow entry.
func effectivePassword(u accounts.User) (field string, src result.Evidence, ok bool) {
	if u.Passwd != "x" && !strings.HasPrefix(u.Passwd, "##") {
		return u.Passwd, result.Evidence{File: "/etc/passwd", Line: u.Line}, true
	}
	if u.Shadow == nil {
		return "", result.Evidence{}, false
	}
	return u.Shadow.Hash, result.Evidence{File: "/etc/shadow", Line: u.Shadow.Line}, true
}

// nonLoginShell reports shells that cannot start an interactive session.
func nonLoginShell(sh string) bool {
	switch path.Base(sh) {
	case "nologin", "false", "sync", "shutdown", "halt":
		return true
	}
	return false
}

func (c *defaultCredsCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	db, err := accounts.Get(f)
	if err != nil {
		return check.FromErr("read account database", err)
	}
	if !db.ShadowReadable {
		return check.Errorf("cannot read /etc/shadow: %s", db.ShadowError)
	}
	var ev []result.Evidence
	var toTest []credcheck.Account
	where := map[string]result.Evidence{}
	uids, shells := map[string]uint32{}, map[string]string{}
	failed := false
	for _, u := range db.Users {
		if c.loginOnly && nonLoginShell(u.Shell) {
			continue
		}
		field, src, ok := effectivePassword(u)
		if !ok {
			continue
		}
		info := credcheck.Classify(field)
		switch {
		case info.Empty:
			failed = true
			e := src
			e.Expected = "a password or a locked account"
			e.Observed = u.Name + ": empty password field, no password is needed"
			ev = append(ev, e)
		case info.Usable:
			toTest = append(toTest, credcheck.Account{Name: u.Name, Hash: field})
			where[u.Name] = src
			uids[u.Name], shells[u.Name] = u.UID, u.Shell
		}
	}
	if len(toTest) == 0 && !failed {
		return check.Pass(result.Evidence{
			Expected: "no well-known default password",
			Observed: "no account has a usable password hash",
			File:     "/etc/shadow",
		})
	}
	// The work cap skips the accounts that come last: test root and the
	// accounts that can log in first, cheapest hashes first, so a target
	// cannot hide a default password behind a wall of costly hashes, and
	// the order does not follow passwd's.
	sort.SliceStable(toTest, func(i, j int) bool {
		a, b := toTest[i], toTest[j]
		if ra, rb := rank(uids[a.Name], shells[a.Name]), rank(uids[b.Name], shells[b.Name]); ra != rb {
			return ra < rb
		}
		if ca, cb := credcheck.Cost(a.Hash), credcheck.Cost(b.Hash); ca != cb {
			return ca < cb
		}
		return a.Name < b.Name
	})
	verdicts := credcheck.Check(ctx, toTest, c.opts)
	var skipped []string
	for _, v := range verdicts {
		e := where[v.Name]
		e.Expected = "no well-known default password"
		switch v.Status {
		case credcheck.Matched:
			failed = true
			e.Observed = fmt.Sprintf("%s: %s hash matches a well-known default password (%s)", v.Name, v.Scheme, credcheck.Mask(v.Matched))
		case credcheck.NoMatch:
			e.Observed = fmt.Sprintf("%s: %s hash matches none of %d well-known default passwords and name variants", v.Name, v.Scheme, v.Tried)
		case credcheck.Skipped:
			skipped = append(skipped, fmt.Sprintf("%s (%s)", v.Name, v.Scheme))
			e.Observed = fmt.Sprintf("%s: %s hash not tested", v.Name, v.Scheme)
			if v.Tried > 0 {
				e.Observed = fmt.Sprintf("%s: %s hash tested against only %d of %d candidates, none matched", v.Name, v.Scheme, v.Tried, v.Total)
			}
			e.Note = v.Reason
		}
		ev = append(ev, e)
	}
	switch {
	case failed:
		return check.Fail(ev...)
	case len(skipped) > 0:
		// An account not tested may well have a default password: the
		// verdict is unknown, never pass.
		o := check.Errorf("not every password hash could be tested, so the result is unknown: %s", strings.Join(skipped, ", "))
		o.Evidence = ev
		return o
	}
	return check.Pass(ev...)
}

// rank orders accounts for testing: root, then accounts with a login
// shell, then the rest.
func rank(uid uint32, shell string) int {
	switch {
	case uid == 0:
		return 0
	case !nonLoginShell(shell):
		return 1
	}
	return 2
}
