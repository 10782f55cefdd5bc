package fim

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"strconv"
	"unicode/utf8"
)

// Entry is one recorded path. Metadata is always recorded (one lstat
// gives all of it); digests only where the policy selects them. Times are
// Unix nanoseconds.
type Entry struct {
	Path   string `json:"path"` // absolute, as seen from the target root
	Type   string `json:"type"`
	Mode   uint32 `json:"mode"` // permission bits with setuid, setgid, sticky
	UID    uint32 `json:"uid"`
	GID    uint32 `json:"gid"`
	Size   int64  `json:"size"`
	Mtime  int64  `json:"mtime"`
	Ctime  int64  `json:"ctime,omitempty"`
	Inode  uint64 `json:"inode,omitempty"`
	Links  uint64 `json:"links,omitempty"`
	Target string `json:"target,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	SHA512 string `json:"sha512,omitempty"`
	BLAKE3 string `json:"blake3,omitempty"`
	// OwnerName and GroupName are the names of UID and GID in the
	// target's own /etc/passwd and /etc/group, where it has them.
	OwnerName string `json:"owner_name,omitempty"`
	GroupName string `json:"group_name,omitempty"`
	// Xattrs maps extended attribute names (but the ACL and SELinux ones)
	// to the sha256 of their value; ACL is the POSIX ACL in short text
	// form; SELinux the security.selinux label. nil means not recorded
	// (not selected, or a target that cannot read them: unknown); empty
	// means the file has none.
	Xattrs  map[string]string `json:"xattrs,omitempty"`
	ACL     *string           `json:"acl,omitempty"`
	SELinux *string           `json:"selinux,omitempty"`
	// Unstable: the file changed while it was hashed, twice; its digests
	// are those of the last read and may match no state of the file.
	Unstable bool `json:"unstable,omitempty"`
	// Error says why the entry could not be fully recorded (unreadable).
	Error string `json:"error,omitempty"`
}

// File types.
const (
	TypeFile    = "file"
	TypeDir     = "dir"
	TypeSymlink = "symlink"
	TypeFIFO    = "fifo"
	TypeSocket  = "socket"
	TypeChar    = "char"
	TypeBlock   = "block"
	TypeOther   = "other"
)

func typeOf(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return TypeFile
	case m.IsDir():
		return TypeDir
	case m&fs.ModeSymlink != 0:
		return TypeSymlink
	case m&fs.ModeNamedPipe != 0:
		return TypeFIFO
	case m&fs.ModeSocket != 0:
		return TypeSocket
	case m&fs.ModeCharDevice != 0:
		return TypeChar
	case m&fs.ModeDevice != 0:
		return TypeBlock
	}
	return TypeOther
}

// value is the attribute a of e as reported in differences.
func (e *Entry) value(a Attr) string {
	switch a {
	case AttrType:
		return e.Type
	case AttrMode:
		return "0" + strconv.FormatUint(uint64(e.Mode), 8)
	case AttrOwner:
		return strconv.FormatUint(uint64(e.UID), 10)
	case AttrGroup:
		return strconv.FormatUint(uint64(e.GID), 10)
	case AttrSize:
		return strconv.FormatInt(e.Size, 10)
	case AttrMtime:
		return formatTime(e.Mtime)
	case AttrCtime:
		return formatTime(e.Ctime)
	case AttrInode:
		return strconv.FormatUint(e.Inode, 10)
	case AttrLinks:
		return strconv.FormatUint(e.Links, 10)
	case AttrTarget:
		return e.Target
	case AttrSHA256:
		return e.SHA256
	case AttrSHA512:
		return e.SHA512
	case AttrBLAKE3:
		return e.BLAKE3
	case AttrACL:
		return deref(e.ACL)
	case AttrSELinux:
		return deref(e.SELinux)
	}
	return ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// statSame reports whether the metadata that changes with content is
// unchanged, so recorded digests can be reused.
func statSame(a, b *Entry) bool {
	return a.Type == b.Type && a.Size == b.Size && a.Mtime == b.Mtime && a.Ctime == b.Ctime && a.Inode == b.Inode
}

// entryWire is Entry on the wire: a path or link target that is not
// valid UTF-8 (legal on Linux) travels hex-encoded, because JSON strings
// would replace its bytes and a check would then see a different path.
type entryWire struct {
	*entryAlias
	// Xattrs shadows Entry.Xattrs so that an empty map (a file without
	// extended attributes) is written as {} and told from nil (unknown).
	Xattrs    *map[string]string `json:"xattrs,omitempty"`
	PathHex   string             `json:"path_hex,omitempty"`
	TargetHex string             `json:"target_hex,omitempty"`
}

type entryAlias Entry

// MarshalJSON encodes e, hex-encoding names that are not UTF-8.
func (e *Entry) MarshalJSON() ([]byte, error) {
	c := *e
	w := entryWire{entryAlias: (*entryAlias)(&c)}
	if c.Xattrs != nil {
		w.Xattrs = &c.Xattrs
	}
	if !utf8.ValidString(c.Path) {
		w.PathHex, c.Path = hex.EncodeToString([]byte(c.Path)), ""
	}
	if !utf8.ValidString(c.Target) {
		w.TargetHex, c.Target = hex.EncodeToString([]byte(c.Target)), ""
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes e strictly (unknown fields are errors).
func (e *Entry) UnmarshalJSON(b []byte) error {
	var c Entry
	w := entryWire{entryAlias: (*entryAlias)(&c)}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	if w.Xattrs != nil && *w.Xattrs != nil {
		c.Xattrs = *w.Xattrs
	}
	if err := unhex(&c.Path, w.PathHex, "path"); err != nil {
		return err
	}
	if err := unhex(&c.Target, w.TargetHex, "target"); err != nil {
		return err
	}
	*e = c
	return nil
}

// unhex sets *dst from the hex form h of field, which must not also be
// given plainly.
func unhex(dst *string, h, field string) error {
	if h == "" {
		return nil
	}
	if *dst != "" {
		return fmt.Errorf("both %s and %s_hex", field, field)
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return fmt.Errorf("%s_hex: %w", field, err)
	}
	*dst = string(b)
	return nil
}
