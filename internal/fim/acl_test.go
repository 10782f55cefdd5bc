package fim

import (
	"strings"
	"testing"
)

const noACLID = 0xffffffff

// aclBytesPortable encodes a POSIX ACL xattr: version 2, then tag,
// perm, id, little-endian.
func aclBytesPortable(ents ...[3]uint32) []byte {
	b := []byte{2, 0, 0, 0}
	for _, e := range ents {
		b = append(b, byte(e[0]), byte(e[0]>>8), byte(e[1]), byte(e[1]>>8), byte(e[2]), byte(e[2]>>8), byte(e[2]>>16), byte(e[2]>>24))
	}
	return b
}

func TestDecodeACL(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string // or "error: ..."
	}{
		{aclBytesPortable([3]uint32{aclUserObj, 7, noACLID}, [3]uint32{aclUser, 5, 1000}, [3]uint32{aclGroupObj, 5, noACLID},
			[3]uint32{aclGroup, 6, 50}, [3]uint32{aclMask, 7, noACLID}, [3]uint32{aclOther, 0, noACLID}),
			"u::rwx,u:1000:r-x,g::r-x,g:50:rw-,m::rwx,o::---"},
		{aclBytesPortable(), ""},
		{nil, "error: 0 bytes"},
		{[]byte{2, 0, 0, 0, 1}, "error: 5 bytes"},
		{[]byte{1, 0, 0, 0}, "error: version 1"},
		{aclBytesPortable([3]uint32{0x40, 7, 0}), "error: tag 0x40"},
		{aclBytesPortable([3]uint32{aclOther, 8, 0}), "error: permissions 010"},
	} {
		got, err := decodeACL(tc.in, "")
		if err != nil {
			got = "error: " + strings.TrimPrefix(err.Error(), "malformed POSIX ACL: ")
		}
		if got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestExtAttrsInvalidValues(t *testing.T) {
	sel := mustPolicy(t, "paths:\n  - path: /\n    attributes: [xattrs, acl, selinux]\n").Selections[0]
	e := &Entry{}
	extAttrs(e, map[string][]byte{xattrACLAccess: {9}, xattrSELinux: {0xff, 0}, "user.\xff": {1}}, sel)
	if !strings.HasPrefix(deref(e.ACL), "invalid:sha256:") || !strings.HasPrefix(deref(e.SELinux), "invalid:sha256:") {
		t.Errorf("acl %q selinux %q", deref(e.ACL), deref(e.SELinux))
	}
	if _, ok := e.Xattrs["hex:757365722eff"]; !ok || len(e.Xattrs) != 1 {
		t.Errorf("xattrs %v", e.Xattrs)
	}
}
