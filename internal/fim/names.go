package fim

import (
	"unicode/utf8"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/target"
)

// names maps the target's own user and group ids to names: /etc/passwd
// and /etc/group of the target, never the scanning host's.
type names struct {
	users, groups map[uint32]string
}

// loadNames reads the target's account files; a missing or unreadable
// file leaves ids without names (the ids are what is compared).
func loadNames(t target.Target) *names {
	n := &names{users: map[uint32]string{}, groups: map[uint32]string{}}
	if b, err := target.ReadFile(t, "etc/passwd"); err == nil {
		for _, u := range accounts.ParsePasswd(b) {
			add(n.users, u.UID, u.Name)
		}
	}
	if b, err := target.ReadFile(t, "etc/group"); err == nil {
		for _, g := range accounts.ParseGroup(b) {
			add(n.groups, g.GID, g.Name)
		}
	}
	return n
}

// add keeps the first name of an id, as getpwuid(3) does.
func add(m map[uint32]string, id uint32, name string) {
	if _, dup := m[id]; !dup && name != "" && utf8.ValidString(name) {
		m[id] = name
	}
}

func (n *names) fill(e *Entry, sel *Selection) {
	if n == nil {
		return
	}
	if sel.Has(AttrOwner) {
		e.OwnerName = n.users[e.UID]
	}
	if sel.Has(AttrGroup) {
		e.GroupName = n.groups[e.GID]
	}
}
