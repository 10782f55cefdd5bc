package journal

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/cradle-cra/cradle/internal/remedy"
)

// File types in a recorded state.
const (
	typeFile    = "file"
	typeDir     = "dir"
	typeSymlink = "symlink"
	typeOther   = "other" // devices, FIFOs, sockets: metadata only
)

// xattr is one extended attribute.
type xattr struct {
	Name  string `json:"name"`
	Value []byte `json:"value"`
}

// fileState is what the journal knows about one path at one moment.
type fileState struct {
	Exists bool        `json:"exists"`
	Type   string      `json:"type,omitempty"`
	SHA256 string      `json:"sha256,omitempty"` // regular files: content, stored as a blob for prior states
	Size   int64       `json:"size,omitempty"`
	Link   string      `json:"link,omitempty"`
	Mode   fs.FileMode `json:"mode,omitempty"` // permission and special bits
	UID    uint32      `json:"uid"`
	GID    uint32      `json:"gid"`
	Xattrs []xattr     `json:"xattrs,omitempty"` // sorted by name
	Atime  int64       `json:"atime_ns,omitempty"`
	Mtime  int64       `json:"mtime_ns,omitempty"`
	// The object itself, so that Apply acts only on what it journaled.
	Dev   uint64 `json:"dev,omitempty"`
	Ino   uint64 `json:"ino,omitempty"`
	Nlink uint64 `json:"nlink,omitempty"`
}

// fingerprint identifies a state without its times: what Rollback compares
// to decide whether someone else changed a path.
func (st *fileState) fingerprint() string {
	if st == nil || !st.Exists {
		return "absent"
	}
	h := sha256.New()
	for _, x := range st.Xattrs {
		fmt.Fprintf(h, "%q=%x\n", x.Name, x.Value)
	}
	return fmt.Sprintf("%s|%x|%d:%d|%s|%q|%x", st.Type, uint32(st.Mode), st.UID, st.GID, st.SHA256, st.Link, h.Sum(nil)[:8])
}

type dirTimes struct {
	Path  string `json:"path"`
	Atime int64  `json:"atime_ns"`
	Mtime int64  `json:"mtime_ns"`
	Dev   uint64 `json:"dev,omitempty"`
	Ino   uint64 `json:"ino,omitempty"`
}

// Record kinds.
const (
	recBefore     = "before"      // prior state of a path, written before it is touched
	recDone       = "done"        // the path reached its planned state
	recRestored   = "restored"    // rollback restored the path
	recRTBefore   = "rt-before"   // a runtime change is about to be made
	recRTDone     = "rt-done"     // it was made; Old is the previous value
	recRTReverted = "rt-reverted" // rollback reverted it
	recRBTmp      = "rb-tmp"      // rollback is about to create temporary Tmp for Path
	recLeft       = "left"        // the path changed after it was journaled and was left as it is
)

// drift says how cur differs from the state the plan saw at its path, or
// "" when it does not: a change planned against other content, mode or
// owner would overwrite what someone did in between.
func drift(seen remedy.Seen, cur *fileState) string {
	switch {
	case !seen.Exists && cur.Exists:
		return fmt.Sprintf("a %s appeared there since the plan was made", cur.Type)
	case !seen.Exists:
		return ""
	case !cur.Exists:
		return "removed since the plan was made"
	case seenType(seen.Type) != cur.Type:
		return fmt.Sprintf("was a %s when the plan was made, now a %s", seenType(seen.Type), cur.Type)
	case seen.SHA256 == remedy.Unreadable:
		return "could not be read when the plan was made"
	case seen.SHA256 != "" && cur.Type == typeFile && seen.SHA256 != cur.SHA256:
		return fmt.Sprintf("content changed since the plan was made (sha256 %.12s, planned against %.12s); the edit is kept", cur.SHA256, seen.SHA256)
	case cur.Type == typeSymlink && cur.Link != seen.Link:
		return fmt.Sprintf("symlink now points to %q, planned against %q", cur.Link, seen.Link)
	case cur.Type != typeSymlink && seen.Mode != cur.Mode:
		return fmt.Sprintf("mode changed since the plan was made (%04o, planned against %04o)", remedy.ModeToUnix(cur.Mode), remedy.ModeToUnix(seen.Mode))
	case seen.UID != cur.UID || seen.GID != cur.GID:
		return fmt.Sprintf("owner changed since the plan was made (%d:%d, planned against %d:%d)", cur.UID, cur.GID, seen.UID, seen.GID)
	}
	return ""
}

// hardLinked says why a mode or owner change to cur must not be made:
// it acts on the inode, so it would change every other hard link to the
// file too, and those may lie outside the target (a host binary linked
// into it keeps its setuid bit). Content changes replace the path with a
// new file by rename and leave other links as they are, so they are not
// refused; directories cannot be hard-linked.
func hardLinked(a remedy.Action, cur *fileState) string {
	if a == remedy.ActMeta && cur.Exists && cur.Type != typeDir && cur.Nlink > 1 {
		return fmt.Sprintf("has %d hard links: a mode or owner change would apply to all of them, and they may lie outside the target", cur.Nlink)
	}
	return ""
}

func seenType(m fs.FileMode) string {
	switch {
	case m == 0:
		return typeFile
	case m&fs.ModeDir != 0:
		return typeDir
	case m&fs.ModeSymlink != 0:
		return typeSymlink
	}
	return typeOther
}

type record struct {
	Seq     int             `json:"seq"`
	Kind    string          `json:"kind"`
	Path    string          `json:"path,omitempty"` // root-relative
	Action  remedy.Action   `json:"action,omitempty"`
	Tmp     string          `json:"tmp,omitempty"` // root-relative temporary name
	Prior   *fileState      `json:"prior,omitempty"`
	Parent  *dirTimes       `json:"parent,omitempty"`
	After   string          `json:"after,omitempty"` // fingerprint
	Runtime *remedy.Runtime `json:"runtime,omitempty"`
	Old     string          `json:"old,omitempty"`
}

// complete reports a record that lacks what its kind needs or names a
// path or blob that Apply could not have written: a damaged or edited
// journal must not make Rollback read or change anything else.
func (r *record) complete() error {
	switch {
	case r.Kind == recBefore && r.Prior == nil:
		return fmt.Errorf("record %d has no prior state", r.Seq)
	case r.Kind == recRTBefore && r.Runtime == nil:
		return fmt.Errorf("record %d has no runtime change", r.Seq)
	}
	for _, p := range []string{r.Path, r.Tmp} {
		if p != "" && !validPath(p) {
			return fmt.Errorf("record %d: invalid path %q", r.Seq, p)
		}
	}
	if r.Kind == recBefore && r.Path == "" {
		return fmt.Errorf("record %d has no path", r.Seq)
	}
	if r.Parent != nil && r.Parent.Path != "." && !validPath(r.Parent.Path) {
		return fmt.Errorf("record %d: invalid parent %q", r.Seq, r.Parent.Path)
	}
	if st := r.Prior; st != nil && st.Exists && st.Type == typeFile && !validSum(st.SHA256) {
		return fmt.Errorf("record %d: invalid content hash %q", r.Seq, st.SHA256)
	}
	return nil
}

// validPath reports whether p is a clean root-relative path below the
// root, as the journal records them.
func validPath(p string) bool {
	return p != "" && p != "." && path.Clean(p) == p && filepath.IsLocal(filepath.FromSlash(p)) &&
		!strings.Contains(p, "\x00")
}

// validSum reports whether s is a SHA-256 in lower-case hex, the name of a
// blob.
func validSum(s string) bool {
	if len(s) != sha256.Size*2 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// journalFile is the append-only record log of one run.
type journalFile struct {
	f *os.File
}

func journalPath(runDir string) string { return filepath.Join(runDir, "journal.jsonl") }

// openJournal opens the log for appending, first cutting off a record torn
// by a crash mid-write (every complete record ends in a newline and was
// fsynced before anything it describes happened).
func openJournal(runDir string) (*journalFile, error) {
	p := journalPath(runDir)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	keep := int64(bytes.LastIndexByte(b, '\n') + 1)
	if keep != int64(len(b)) {
		if err := f.Truncate(keep); err != nil {
			f.Close()
			return nil, fmt.Errorf("journal: %w", err)
		}
	}
	if _, err := f.Seek(keep, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	return &journalFile{f: f}, nil
}

func (j *journalFile) append(r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

func (j *journalFile) Close() error { return j.f.Close() }

// readJournal returns the complete records of a run; a torn last line is
// ignored.
func readJournal(runDir string) ([]record, error) {
	b, err := os.ReadFile(journalPath(runDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	out, err := parseJournal(b)
	if err != nil {
		return nil, fmt.Errorf("%s%w", journalPath(runDir), err)
	}
	return out, nil
}

// parseJournal decodes journal content: one JSON record a line, a torn
// last line ignored. Errors start with ":line: ".
func parseJournal(b []byte) ([]record, error) {
	if i := bytes.LastIndexByte(b, '\n'); i+1 != len(b) {
		b = b[:i+1]
	}
	var out []record
	for n, line := range bytes.Split(b, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		var r record
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf(":%d: %w", n+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func blobPath(runDir, sum string) string { return filepath.Join(runDir, "blobs", sum) }

// putBlob stores data under its SHA-256, durably, unless already there.
func putBlob(runDir string, data []byte) (string, error) {
	s := sha256.Sum256(data)
	sum := hex.EncodeToString(s[:])
	p := blobPath(runDir, sum)
	if _, err := os.Lstat(p); err == nil {
		return sum, nil
	}
	tmp := p + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", fmt.Errorf("journal blob: %w", err)
	}
	_, werr := f.Write(data)
	werr = syncClose(f, werr)
	if werr == nil {
		werr = os.Rename(tmp, p)
	}
	if werr == nil {
		werr = syncPath(filepath.Dir(p))
	}
	if werr != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("journal blob: %w", werr)
	}
	return sum, nil
}

func getBlob(runDir, sum string) ([]byte, error) {
	if !validSum(sum) {
		return nil, fmt.Errorf("journal blob: invalid name %q", sum)
	}
	b, err := os.ReadFile(blobPath(runDir, sum))
	if err != nil {
		return nil, fmt.Errorf("journal blob: %w", err)
	}
	if s := sha256.Sum256(b); hex.EncodeToString(s[:]) != sum {
		return nil, fmt.Errorf("journal blob %s: content does not match its hash", sum)
	}
	return b, nil
}

// syncClose fsyncs f unless err is already set, closes it, and returns the
// first error.
func syncClose(f *os.File, err error) error {
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncPath fsyncs a file or directory in the store.
func syncPath(p string) error { return syncOpened(os.Open(p)) }

// syncOpened fsyncs and closes a file just opened, passing an open error
// on; file systems that cannot fsync directories are not an error.
func syncOpened(f *os.File, err error) error {
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !ignorableSyncErr(err) {
		return err
	}
	return nil
}

// tmpName is the temporary name for p in its directory; suffix makes it
// unpredictable.
func tmpName(p, id, suffix string) string {
	base := "." + path.Base(p) + ".cradle-" + id + suffix
	if len(base) > 255 {
		s := sha256.Sum256([]byte(path.Base(p)))
		base = ".cradle-" + id + "-" + hex.EncodeToString(s[:8]) + suffix
	}
	return path.Join(path.Dir(p), base)
}

// randSuffix is a random temporary-name suffix: a name nobody can plant
// a file or symlink at in advance.
func randSuffix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "-" + hex.EncodeToString(b[:])
}
