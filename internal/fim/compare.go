package fim

import (
	"time"
)

// Change kinds.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

// Unreadable is the old value of a digest the database could not record.
const Unreadable = "(unreadable)"

// Change is one difference between the database and the walk.
type Change struct {
	Path  string `json:"path"`
	Kind  string `json:"kind"`
	Type  string `json:"type"`
	Diffs []Diff `json:"diffs,omitempty"`
	// Unstable: the file changed while it was hashed.
	Unstable bool `json:"unstable,omitempty"`
	// Explained says what accounts for the change (check only).
	Explained *Explanation `json:"explained,omitempty"`
}

// Diff is one attribute's recorded and current value.
type Diff struct {
	Attr string `json:"attribute"`
	Old  string `json:"old"`
	New  string `json:"new"`
}

// Compare lists the differences from old to cur (both sorted by path),
// comparing the attributes the policy selects for each path. Digests are
// compared only where both sides have one (a policy may have added one),
// and not for entries that could not be read now (they are Problems).
func Compare(old, cur []*Entry, p *Policy) []Change {
	var out []Change
	i, j := 0, 0
	for i < len(old) || j < len(cur) {
		switch {
		case j == len(cur) || (i < len(old) && old[i].Path < cur[j].Path):
			out = append(out, Change{Path: old[i].Path, Kind: Removed, Type: old[i].Type})
			i++
		case i == len(old) || cur[j].Path < old[i].Path:
			out = append(out, Change{Path: cur[j].Path, Kind: Added, Type: cur[j].Type, Unstable: cur[j].Unstable})
			j++
		default:
			if identical(old[i], cur[j]) {
				i++
				j++
				continue
			}
			if d := diff(old[i], cur[j], p.For(cur[j].Path)); len(d) > 0 {
				out = append(out, Change{Path: cur[j].Path, Kind: Changed, Type: cur[j].Type, Diffs: d, Unstable: cur[j].Unstable})
			}
			i++
			j++
		}
	}
	return out
}

// identical reports whether a and b record the same values throughout,
// in which case diff finds nothing whatever the selection: the common
// case of a check, decided without formatting a single value.
func identical(a, b *Entry) bool {
	return a.Type == b.Type && a.Mode == b.Mode && a.UID == b.UID && a.GID == b.GID && a.Size == b.Size &&
		a.Mtime == b.Mtime && a.Ctime == b.Ctime && a.Inode == b.Inode && a.Links == b.Links &&
		a.Target == b.Target && a.SHA256 == b.SHA256 && a.SHA512 == b.SHA512 && a.BLAKE3 == b.BLAKE3 &&
		a.OwnerName == b.OwnerName && a.GroupName == b.GroupName && a.Error == b.Error &&
		sameOptional(a.ACL, b.ACL) && sameOptional(a.SELinux, b.SELinux) && sameXattrs(a.Xattrs, b.Xattrs)
}

func sameOptional(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func sameXattrs(a, b map[string]string) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func diff(a, b *Entry, sel *Selection) []Diff {
	if sel == nil {
		return nil
	}
	var out []Diff
	for _, at := range knownAttrs {
		if !sel.Has(at) {
			continue
		}
		if isDigest(at) {
			if a.Error != "" && a.value(at) == "" && b.value(at) != "" {
				// Unreadable when recorded: its content was never
				// verified, so it is not silently taken as unchanged.
				out = append(out, Diff{Attr: string(at), Old: Unreadable, New: b.value(at)})
				continue
			}
			if b.Error != "" || a.value(at) == "" || b.value(at) == "" {
				continue
			}
		}
		if (at == AttrCtime && (a.Ctime == 0 || b.Ctime == 0)) || (at == AttrInode && (a.Inode == 0 || b.Inode == 0)) {
			continue // a backend without ctime or stable inodes (images)
		}
		if at == AttrSize && a.Type != b.Type {
			continue
		}
		switch at {
		case AttrOwner, AttrGroup:
			if d, ok := idDiff(a, b, at); ok {
				out = append(out, d)
			}
			continue
		case AttrXattrs:
			if a.Xattrs != nil && b.Xattrs != nil {
				out = append(out, xattrDiffs(a.Xattrs, b.Xattrs)...)
			}
			continue
		case AttrACL, AttrSELinux:
			if !known(a, at) || !known(b, at) {
				continue // unknown on one side (older database, image): not a change
			}
		}
		if va, vb := a.value(at), b.value(at); va != vb {
			out = append(out, Diff{Attr: string(at), Old: va, New: vb})
		}
	}
	return out
}

// idDiff compares owners or groups by number and, where both sides
// resolved one, by name (an account renamed or renumbered in the
// target's /etc/passwd); the values show the name beside the number.
func idDiff(a, b *Entry, at Attr) (Diff, bool) {
	na, nb := a.OwnerName, b.OwnerName
	if at == AttrGroup {
		na, nb = a.GroupName, b.GroupName
	}
	va, vb := a.value(at), b.value(at)
	if va == vb && (na == "" || nb == "" || na == nb) {
		return Diff{}, false
	}
	return Diff{Attr: string(at), Old: withName(va, na), New: withName(vb, nb)}, true
}

func withName(id, name string) string {
	if name == "" {
		return id
	}
	return id + " (" + name + ")"
}

func known(e *Entry, at Attr) bool {
	if at == AttrACL {
		return e.ACL != nil
	}
	return e.SELinux != nil
}

func formatTime(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

func isDigest(a Attr) bool { return a == AttrSHA256 || a == AttrSHA512 || a == AttrBLAKE3 }
