package fim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Extended attributes that have attributes of their own; `xattrs`
// records the others.
const (
	xattrACLAccess  = "system.posix_acl_access"
	xattrACLDefault = "system.posix_acl_default"
	xattrSELinux    = "security.selinux"
)

// POSIX ACL xattr layout (Linux include/uapi/linux/posix_acl_xattr.h):
// a little-endian u32 version 2, then 8-byte entries {u16 tag, u16
// perm, u32 id}.
const (
	aclVersion   = 2
	aclUserObj   = 0x01
	aclUser      = 0x02
	aclGroupObj  = 0x04
	aclGroup     = 0x08
	aclMask      = 0x10
	aclOther     = 0x20
	aclEntrySize = 8
)

var errACL = errors.New("malformed POSIX ACL")

// decodeACL renders a system.posix_acl_* value in the short text form
// setfacl accepts ("u::rwx,u:1000:r--,g::r-x,m::r-x,o::r--"), ids
// numeric, entries in stored order (the kernel keeps them sorted); each
// entry is prefixed with prefix ("d:" for a default ACL). Input is
// untrusted and bounded by the xattr size limit.
func decodeACL(b []byte, prefix string) (string, error) {
	if len(b) < 4 || (len(b)-4)%aclEntrySize != 0 {
		return "", fmt.Errorf("%w: %d bytes", errACL, len(b))
	}
	if v := binary.LittleEndian.Uint32(b); v != aclVersion {
		return "", fmt.Errorf("%w: version %d", errACL, v)
	}
	var sb strings.Builder
	for i := 4; i < len(b); i += aclEntrySize {
		tag, perm, id := binary.LittleEndian.Uint16(b[i:]), binary.LittleEndian.Uint16(b[i+2:]), binary.LittleEndian.Uint32(b[i+4:])
		var head string
		switch tag {
		case aclUserObj:
			head = "u::"
		case aclUser:
			head = "u:" + strconv.FormatUint(uint64(id), 10) + ":"
		case aclGroupObj:
			head = "g::"
		case aclGroup:
			head = "g:" + strconv.FormatUint(uint64(id), 10) + ":"
		case aclMask:
			head = "m::"
		case aclOther:
			head = "o::"
		default:
			return "", fmt.Errorf("%w: tag %#x", errACL, tag)
		}
		if perm&^7 != 0 {
			return "", fmt.Errorf("%w: permissions %#o", errACL, perm)
		}
		if sb.Len() > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(prefix)
		sb.WriteString(head)
		sb.WriteString(rwx(perm))
	}
	return sb.String(), nil
}

func rwx(p uint16) string {
	b := []byte("---")
	if p&4 != 0 {
		b[0] = 'r'
	}
	if p&2 != 0 {
		b[1] = 'w'
	}
	if p&1 != 0 {
		b[2] = 'x'
	}
	return string(b)
}

// extAttrs fills e's selected extended attributes from the raw xattrs
// m: the ACL text (access, then default entries), the SELinux label
// (without its trailing NUL) and every other attribute's value digest.
// A value that cannot be decoded is recorded by digest, so a change
// still shows.
func extAttrs(e *Entry, m map[string][]byte, sel *Selection) {
	if sel.Has(AttrACL) {
		var parts []string
		for _, a := range []struct{ name, prefix string }{{xattrACLAccess, ""}, {xattrACLDefault, "d:"}} {
			v, ok := m[a.name]
			if !ok {
				continue
			}
			s, err := decodeACL(v, a.prefix)
			if err != nil {
				s = a.prefix + "invalid:" + digest(v)
			}
			parts = append(parts, s)
		}
		acl := strings.Join(parts, ",")
		e.ACL = &acl
	}
	if sel.Has(AttrSELinux) {
		label := ""
		if v, ok := m[xattrSELinux]; ok {
			label = strings.TrimRight(string(v), "\x00")
			if !utf8.ValidString(label) || strings.ContainsAny(label, "\x00\n") {
				label = "invalid:" + digest(v)
			}
		}
		e.SELinux = &label
	}
	if sel.Has(AttrXattrs) {
		x := map[string]string{}
		for name, v := range m {
			if name == xattrACLAccess || name == xattrACLDefault || name == xattrSELinux {
				continue
			}
			x[xattrKey(name)] = digest(v)
		}
		e.Xattrs = x
	}
}

// xattrKey is name as a JSON map key: a name that is not UTF-8 (legal,
// if odd) is hex-encoded behind "hex:", which no real name starts with
// (every name has a namespace prefix such as "user.").
func xattrKey(name string) string {
	if utf8.ValidString(name) {
		return name
	}
	return "hex:" + hex.EncodeToString([]byte(name))
}

func digest(v []byte) string {
	s := sha256.Sum256(v)
	return "sha256:" + hex.EncodeToString(s[:])
}

// xattrDiffs lists the attributes that differ between a and b, one
// "name=digest" per side ("" where absent), in name order.
func xattrDiffs(a, b map[string]string) []Diff {
	names := map[string]bool{}
	for n := range a {
		names[n] = true
	}
	for n := range b {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var out []Diff
	for _, n := range sorted {
		va, oka := a[n]
		vb, okb := b[n]
		if oka == okb && va == vb {
			continue
		}
		d := Diff{Attr: string(AttrXattrs)}
		if oka {
			d.Old = n + "=" + va
		}
		if okb {
			d.New = n + "=" + vb
		}
		out = append(out, d)
	}
	return out
}
