package fim

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

// FuzzParse: a policy file is input read as root; any text yields a
// policy or an error, never a panic, and an accepted policy is usable.
func FuzzParse(f *testing.F) {
	f.Add([]byte(testPolicy))
	f.Add(defaultPolicy)
	f.Add([]byte("paths:\n  - path: /\n    exclude: [\"re:.*\"]\n    full: true\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse("fuzz.yaml", b)
		if err != nil {
			return
		}
		if len(p.Selections) == 0 || p.Hash() == "" {
			t.Fatal("accepted an empty policy")
		}
		p.For("/etc/x")
		p.Enter("/usr")
	})
}

// FuzzDecodeBody: the body parser behind the signature, fed directly
// (a stolen key must not be able to crash the reader).
func FuzzDecodeBody(f *testing.F) {
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	f.Add(gz(`{"path":"/a","type":"file","mode":420,"uid":0,"gid":0,"size":1,"mtime":1}`+"\n"), 1)
	f.Add(gz(`{"path_hex":"2f61ff","type":"symlink","mode":511,"uid":0,"gid":0,"size":1,"mtime":1,"target_hex":"ff"}`+"\n"), 1)
	f.Add([]byte{0x1f, 0x8b}, 0)
	f.Fuzz(func(t *testing.T, body []byte, n int) {
		if n < 0 || n > 1000 {
			return
		}
		es, err := decodeBody(body, n)
		if err == nil && len(es) != n {
			t.Fatalf("%d entries, want %d", len(es), n)
		}
	})
}

// FuzzDecodeACL: a system.posix_acl_* value is whatever the target's
// filesystem holds; any bytes give text or an error, never a panic, and
// accepted text has one entry per 8 bytes.
func FuzzDecodeACL(f *testing.F) {
	f.Add(aclBytesPortable([3]uint32{aclUserObj, 7, noACLID}, [3]uint32{aclUser, 5, 1000}, [3]uint32{aclMask, 5, noACLID}))
	f.Add([]byte{2, 0, 0, 0})
	f.Add([]byte{1, 0, 0, 0, 1, 0, 7, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeACL(b, "d:")
		if err != nil {
			return
		}
		if n := (len(b) - 4) / aclEntrySize; n > 0 && strings.Count(s, "d:") != n {
			t.Fatalf("%d entries, text %q", n, s)
		}
	})
}
