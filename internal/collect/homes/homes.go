// Package homes collects the home directories of a target's accounts: the
// home field of every passwd(5) entry (service accounts live under /var,
// /srv or /opt, not only /root and /home), plus directories directly under
// /home that no account claims (left by a deleted account or by an image
// build). Each home is resolved inside the target root, so a home that is
// a symlink cannot lead a per-home check out of the tree, and homes that
// are the root directory or a shared system directory (bin's /bin, sys's
// /dev, systemd-network's /) are set aside with the reason: files there
// are not a user's.
package homes

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
)

// Key is the fact-store key.
const Key = "homes"

// MaxHomes bounds the homes kept: a passwd file with more distinct homes
// than this is not something a per-home check can walk in a scan.
const MaxHomes = 10000

// Home is one home directory, shared by the accounts listed.
type Home struct {
	// Path is the home as passwd names it ("/var/lib/postgresql"), or the
	// directory under /home; Resolved is where it leads inside the target.
	Path     string   `json:"path"`
	Resolved string   `json:"resolved"`
	Users    []string `json:"users"`
	// UID is the first account's uid; Orphan marks a directory under
	// /home that no account names.
	UID    uint32 `json:"uid"`
	Orphan bool   `json:"orphan,omitempty"`
}

// Skipped is a home field a per-home check does not look in.
type Skipped struct {
	Path   string   `json:"path"`
	Users  []string `json:"users"`
	Reason string   `json:"reason"`
}

// Facts are the homes of a target.
type Facts struct {
	Homes   []Home    `json:"homes"`
	Skipped []Skipped `json:"skipped"`
	// Truncated counts the homes beyond MaxHomes.
	Truncated int `json:"truncated,omitempty"`
}

// systemDirs are shared directories some accounts name as their home
// (Debian's bin, daemon, sys, sync and proxy; nobody-like accounts): their
// contents are the system's, not an account's.
var systemDirs = map[string]bool{
	"bin": true, "sbin": true, "lib": true, "lib32": true, "lib64": true, "libx32": true,
	"boot": true, "dev": true, "etc": true, "proc": true, "sys": true, "run": true,
	"tmp": true, "usr": true, "var": true, "var/tmp": true, "var/lib": true, "var/run": true,
	"home": true, "srv": true, "opt": true, "mnt": true, "media": true,
}

// systemTrees are trees no home below which is a user's (/usr/games,
// /usr/sbin, /proc/…): system files or kernel state.
var systemTrees = []string{"usr", "proc", "sys", "dev"}

// SkipReason says why a home resolving to rel (root-relative, cleaned) is
// not a user's home, or "" when it is.
func SkipReason(rel string) string {
	switch {
	case rel == "":
		return "the root directory"
	case systemDirs[rel]:
		return "a shared system directory"
	}
	for _, t := range systemTrees {
		if strings.HasPrefix(rel, t+"/") && !strings.HasPrefix(rel, "usr/local/") {
			return "inside the system tree /" + t
		}
	}
	return ""
}

// Get returns the memoised homes, built on the store's account database.
func Get(s *facts.Store) (*Facts, error) {
	return facts.Get(s, Key, func(ctx context.Context, s *facts.Store) (*Facts, error) {
		db, err := accounts.Get(s)
		if err != nil {
			return nil, fmt.Errorf("account database: %w", err)
		}
		return FromDB(ctx, s.Target(), db)
	})
}

// Collect reads the account database of t and its homes afresh.
func Collect(ctx context.Context, t target.Target) (*Facts, error) {
	db, err := accounts.Collect(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("account database: %w", err)
	}
	return FromDB(ctx, t, db)
}

// FromDB resolves the homes of db inside t. Homes that do not exist
// (/nonexistent) are left out silently; two accounts whose homes lead to
// the same directory share one entry.
func FromDB(ctx context.Context, t target.Target, db *accounts.DB) (*Facts, error) {
	return fromDB(ctx, t, db, MaxHomes)
}

func fromDB(ctx context.Context, t target.Target, db *accounts.DB, limit int) (*Facts, error) {
	f := &Facts{Homes: []Home{}, Skipped: []Skipped{}}
	byResolved := map[string]int{}
	skipped := map[string]int{}
	over := map[string]bool{} // homes counted in Truncated, bounded like Homes
	add := func(p, user string, uid uint32, orphan bool) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !strings.HasPrefix(p, "/") {
			f.skip(skipped, p, user, "not an absolute path")
			return nil
		}
		rel, err := target.Resolve(t, p, true)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			f.skip(skipped, p, user, "cannot be resolved: "+err.Error())
			return nil
		}
		rel = target.Clean(rel)
		if why := SkipReason(rel); why != "" {
			if rel != target.Clean(p) {
				why += " (" + target.Abs(rel) + ")"
			}
			f.skip(skipped, p, user, why)
			return nil
		}
		fi, err := t.Stat(rel)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil
		case err != nil:
			f.skip(skipped, p, user, "cannot be read: "+err.Error())
			return nil
		case !fi.Mode.IsDir():
			f.skip(skipped, p, user, "not a directory")
			return nil
		}
		if i, ok := byResolved[rel]; ok {
			if user != "" && !slices.Contains(f.Homes[i].Users, user) {
				f.Homes[i].Users = append(f.Homes[i].Users, user)
			}
			return nil
		}
		if len(f.Homes) >= limit {
			if !over[rel] {
				f.Truncated++
				if len(over) < limit {
					over[rel] = true
				}
			}
			return nil
		}
		h := Home{Path: path.Clean(p), Resolved: target.Abs(rel), Users: []string{}, UID: uid, Orphan: orphan}
		if user != "" {
			h.Users = append(h.Users, user)
		}
		byResolved[rel] = len(f.Homes)
		f.Homes = append(f.Homes, h)
		return nil
	}
	for _, u := range db.Users {
		if u.Home == "" {
			f.skip(skipped, "(empty)", u.Name, "no home directory")
			continue
		}
		if err := add(u.Home, u.Name, u.UID, false); err != nil {
			return nil, err
		}
	}
	// Directories under /home no account names: what a removed account
	// or an image build left behind is still in the tree.
	ents, err := t.ReadDir("home")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read /home: %w", err)
	}
	for _, e := range ents {
		if !e.Type.IsDir() {
			continue
		}
		if len(f.Homes) >= limit {
			// Full: count the rest without resolving or statting them,
			// a hostile /home may hold millions of directories.
			if _, ok := byResolved["home/"+e.Name]; !ok && !over["home/"+e.Name] {
				f.Truncated++
			}
			continue
		}
		if err := add("/home/"+e.Name, "", 0, true); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(f.Homes, func(a, b Home) int { return strings.Compare(a.Resolved, b.Resolved) })
	return f, nil
}

func (f *Facts) skip(seen map[string]int, p, user, reason string) {
	if i, ok := seen[p]; ok {
		if user != "" {
			f.Skipped[i].Users = append(f.Skipped[i].Users, user)
		}
		return
	}
	if len(f.Skipped) >= MaxHomes {
		return
	}
	s := Skipped{Path: p, Users: []string{}, Reason: reason}
	if user != "" {
		s.Users = append(s.Users, user)
	}
	seen[p] = len(f.Skipped)
	f.Skipped = append(f.Skipped, s)
}

// Describe names a home for evidence: "/var/lib/app (app)".
func (h Home) Describe() string {
	who := strings.Join(h.Users, ", ")
	if h.Orphan {
		who = "no account"
	}
	s := h.Path
	if h.Resolved != h.Path {
		s += " -> " + h.Resolved
	}
	return s + " (" + who + ")"
}
