// Package accounts collects the local user and group databases of a target:
// passwd(5), group(5), shadow(5) and gshadow(5), parsed field by field with
// the line each entry came from, for evidence.
package accounts

import (
	"context"
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// User is one passwd entry, joined with its shadow entry when readable.
type User struct {
	Name  string `json:"name"`
	UID   uint32 `json:"uid"`
	GID   uint32 `json:"gid"`
	Gecos string `json:"gecos"`
	Home  string `json:"home"`
	Shell string `json:"shell"`
	// Passwd is the password field of passwd(5) itself ("x" when the
	// password is in shadow); never rendered.
	Passwd string  `json:"-"`
	Line   int     `json:"line"`
	Shadow *Shadow `json:"shadow,omitempty"`
}

// Shadow is one shadow(5) entry. Numeric fields are -1 when empty.
type Shadow struct {
	Hash       string `json:"-"` // never rendered: it is a secret
	LastChange int64  `json:"last_change"`
	MinDays    int64  `json:"min_days"`
	MaxDays    int64  `json:"max_days"`
	WarnDays   int64  `json:"warn_days"`
	Inactive   int64  `json:"inactive"`
	Expire     int64  `json:"expire"`
	Line       int    `json:"line"`
}

// Group is one group entry.
type Group struct {
	Name    string   `json:"name"`
	GID     uint32   `json:"gid"`
	Members []string `json:"members"`
	Line    int      `json:"line"`
}

// DB is the account database of a target.
type DB struct {
	Users  []User  `json:"users"`
	Groups []Group `json:"groups"`
	// ShadowReadable is false when /etc/shadow could not be read (not
	// root on a live host); checks needing hashes must then report error.
	ShadowReadable bool   `json:"shadow_readable"`
	ShadowError    string `json:"shadow_error,omitempty"`
	byUID          map[uint32]string
	byGID          map[uint32]string
}

// Key is the fact-store key.
const Key = "accounts"

// Get returns the memoised account database.
func Get(s *facts.Store) (*DB, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

// Collect reads the account files of t. Missing files give empty lists.
func Collect(_ context.Context, t target.Target) (*DB, error) {
	db := &DB{byUID: map[uint32]string{}, byGID: map[uint32]string{}}
	if b, err := readOptional(t, "etc/passwd"); err != nil {
		return nil, err
	} else {
		db.Users = ParsePasswd(b)
	}
	if b, err := readOptional(t, "etc/group"); err != nil {
		return nil, err
	} else {
		db.Groups = ParseGroup(b)
	}
	b, err := target.ReadFile(t, "etc/shadow")
	switch {
	case err == nil:
		db.ShadowReadable = true
		sh := ParseShadow(b)
		for i := range db.Users {
			if s, ok := sh[db.Users[i].Name]; ok {
				s := s
				db.Users[i].Shadow = &s
			}
		}
	case errors.Is(err, fs.ErrNotExist):
		db.ShadowReadable = true
	default:
		db.ShadowError = err.Error()
	}
	for _, u := range db.Users {
		if _, dup := db.byUID[u.UID]; !dup {
			db.byUID[u.UID] = u.Name
		}
	}
	for _, g := range db.Groups {
		if _, dup := db.byGID[g.GID]; !dup {
			db.byGID[g.GID] = g.Name
		}
	}
	return db, nil
}

func readOptional(t target.Target, p string) ([]byte, error) {
	b, err := target.ReadFile(t, p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// UserName returns the name for uid, or the number when unknown. A nil DB
// answers with numbers.
func (db *DB) UserName(uid uint32) string {
	if db != nil {
		if n, ok := db.byUID[uid]; ok {
			return n
		}
	}
	return strconv.FormatUint(uint64(uid), 10)
}

// GroupName returns the name for gid, or the number when unknown.
func (db *DB) GroupName(gid uint32) string {
	if db != nil {
		if n, ok := db.byGID[gid]; ok {
			return n
		}
	}
	return strconv.FormatUint(uint64(gid), 10)
}

// HasUID reports whether uid belongs to a known user.
func (db *DB) HasUID(uid uint32) bool { _, ok := db.byUID[uid]; return ok }

// HasGID reports whether gid belongs to a known group.
func (db *DB) HasGID(gid uint32) bool { _, ok := db.byGID[gid]; return ok }

func lines(b []byte, fn func(n int, fields []string)) {
	for i, line := range textline.Split(b) {
		n := i + 1
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(n, strings.Split(line, ":"))
	}
}

// ParsePasswd parses passwd(5) content, skipping malformed lines and NIS
// "+/-" entries.
func ParsePasswd(b []byte) []User {
	var out []User
	lines(b, func(n int, f []string) {
		if len(f) < 7 || strings.HasPrefix(f[0], "+") || strings.HasPrefix(f[0], "-") {
			return
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		gid, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			return
		}
		out = append(out, User{Name: f[0], UID: uint32(uid), GID: uint32(gid), Gecos: f[4], Home: f[5], Shell: f[6], Passwd: f[1], Line: n})
	})
	return out
}

// ParseGroup parses group(5) content.
func ParseGroup(b []byte) []Group {
	var out []Group
	lines(b, func(n int, f []string) {
		if len(f) < 4 {
			return
		}
		gid, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			return
		}
		var members []string
		for _, m := range strings.Split(f[3], ",") {
			if m = strings.TrimSpace(m); m != "" {
				members = append(members, m)
			}
		}
		out = append(out, Group{Name: f[0], GID: uint32(gid), Members: members, Line: n})
	})
	return out
}

// ParseShadow parses shadow(5) content keyed by user name.
func ParseShadow(b []byte) map[string]Shadow {
	out := map[string]Shadow{}
	lines(b, func(n int, f []string) {
		if len(f) < 2 {
			return
		}
		for len(f) < 9 {
			f = append(f, "")
		}
		num := func(s string) int64 {
			v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return -1
			}
			return v
		}
		out[f[0]] = Shadow{Hash: f[1], LastChange: num(f[2]), MinDays: num(f[3]), MaxDays: num(f[4]), WarnDays: num(f[5]), Inactive: num(f[6]), Expire: num(f[7]), Line: n}
	})
	return out
}
