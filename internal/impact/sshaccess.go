package impact

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/access"
	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/collect/sshd"
	"github.com/cradle-cra/cradle/internal/target"
)

// adminGroups grant sudo on Debian/Ubuntu (sudo, admin) and Red Hat (wheel).
var adminGroups = []string{"sudo", "wheel", "admin"}

const (
	maxUsers    = 10000
	maxKeysFile = 1 << 20
)

// sshAccess is who can get in over SSH, from the files: authorized keys,
// administrators and password-capable users.
type sshAccess struct {
	keys      map[string][]string // user → authorized_keys files holding at least one key
	admins    []string
	passwords []string // login-capable users with a usable password hash
	keysCmd   string   // AuthorizedKeysCommand, when set
	problems  []string
}

// loginShell reports whether shell lets the user log in interactively.
func loginShell(shell string) bool {
	switch path.Base(shell) {
	case "nologin", "false", "sync", "halt", "shutdown", "true":
		return false
	}
	return true
}

func collectSSHAccess(ctx context.Context, t target.Target) (*sshAccess, error) {
	a := &sshAccess{keys: map[string][]string{}}
	db, err := accounts.Collect(ctx, t)
	if err != nil {
		a.problems = append(a.problems, fmt.Sprintf("accounts: %v", err))
		return a, nil
	}
	if !db.ShadowReadable {
		a.problems = append(a.problems, "password hashes unreadable: "+db.ShadowError)
	}
	files := []string{".ssh/authorized_keys", ".ssh/authorized_keys2"}
	if cfg, err := sshd.Collect(ctx, t); err != nil {
		a.problems = append(a.problems, fmt.Sprintf("sshd_config: %v", err))
	} else {
		// sshd takes the first global value of a keyword.
		var gotFiles, gotCmd bool
		for _, d := range cfg.Directives {
			if d.Match != nil {
				continue
			}
			switch sshd.Canonical(d.Keyword) {
			case "AuthorizedKeysFile":
				if !gotFiles {
					files, gotFiles = d.Args, true
				}
			case "AuthorizedKeysCommand":
				if !gotCmd && !strings.EqualFold(d.Value(), "none") {
					a.keysCmd, gotCmd = d.Value(), true
				}
			}
		}
	}
	admin := map[string]bool{}
	gids := map[uint32]bool{}
	for _, g := range db.Groups {
		for _, n := range adminGroups {
			if g.Name == n {
				gids[g.GID] = true
				for _, m := range g.Members {
					admin[m] = true
				}
			}
		}
	}
	users := db.Users
	if len(users) > maxUsers {
		users = users[:maxUsers]
		a.problems = append(a.problems, fmt.Sprintf("more than %d users: the rest not checked", maxUsers))
	}
	for _, u := range users {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if gids[u.GID] {
			admin[u.Name] = true
		}
		if !loginShell(u.Shell) && u.UID != 0 {
			continue
		}
		field := u.Passwd
		if u.Shadow != nil {
			field = u.Shadow.Hash
		}
		if st, _ := accounts.Classify(field); st == accounts.Hashed {
			a.passwords = append(a.passwords, u.Name)
		}
		for _, f := range files {
			p := access.KeysPath(f, &u)
			if p == "" {
				continue
			}
			n, err := access.CountKeys(t, p)
			if err != nil {
				a.problems = append(a.problems, err.Error())
			}
			if n > 0 {
				a.keys[u.Name] = append(a.keys[u.Name], target.Abs(p))
			}
		}
	}
	for n := range admin {
		if db.UserName(0) != n {
			a.admins = append(a.admins, n)
		}
	}
	sort.Strings(a.admins)
	return a, nil
}
