// Package drift detects unauthorised change to a target's security
// configuration (CRA Annex I, Part I, (2)(f)). An approved snapshot records,
// per rule, the status and the observed values, and for every file the
// rules read its hash, mode and owner; it is stored as a DSSE envelope
// signed with the change log's ed25519 key. A later evaluation rescans with the same rule selection and
// reports what differs, each item with the time it was first seen. Watch
// repeats that evaluation on an interval and on file change, within CPU and
// I/O bounds, and notifies only about new and resolved items. See
// docs/drift.md.
package drift

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/digest"
	"github.com/cradle-cra/cradle/internal/envelope"
	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/target"
)

// LegacyFormat names the snapshot format before the envelope; its
// signature is domain-separated with it.
const LegacyFormat = "cradle.snapshot.v1"

// Bounds on what a snapshot records.
const (
	// MaxFiles caps the recorded paths; the rest are left out and the
	// snapshot says so.
	MaxFiles = 20000
	// MaxEntries caps the names kept per listed directory.
	MaxEntries = 4096
	// MaxSnapshotSize bounds what Load reads.
	MaxSnapshotSize = 64 << 20
)

// File names inside a target's snapshot directory.
const (
	ApprovedFile = "approved.json"
	StateFile    = "drift-state.json"
)

// Input is a tailoring or waiver file, kept verbatim so a later evaluation
// uses exactly what was approved.
type Input struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// Options are the scan options the snapshot was approved with.
type Options struct {
	Profile   string   `json:"profile"`
	Rules     []string `json:"rules,omitempty"`
	Tailoring *Input   `json:"tailoring,omitempty"`
	Waivers   *Input   `json:"waivers,omitempty"`
	// RuleFiles are the organisation's own rule files (--rules) the
	// approval used, kept verbatim so drift evaluates the same rules.
	RuleFiles []Input `json:"rule_files,omitempty"`
}

// Approval says who approved the snapshot and why.
type Approval struct {
	Actor     string `json:"actor,omitempty"`
	OSUser    string `json:"os_user,omitempty"`
	ChangeRef string `json:"change_ref,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// Value is one observed value of a rule (from its evidence).
type Value struct {
	Expected string `json:"expected,omitempty"`
	Observed string `json:"observed"`
	File     string `json:"file,omitempty"`
}

// RuleState is one rule's approved outcome.
type RuleState struct {
	ID     string        `json:"id"`
	Status result.Status `json:"status"`
	Values []Value       `json:"values,omitempty"`
}

// File types in FileState.Type.
const (
	TypeFile    = "file"
	TypeDir     = "dir"
	TypeSymlink = "symlink"
	TypeOther   = "other"
	TypeAbsent  = "absent"
	TypeError   = "error"
)

// FileState is one path the rules used. Mode, owner, size and hash
// describe the file a symlink points to (what the rules read); Type and
// Link describe the path itself.
type FileState struct {
	Path     string `json:"path"` // root-relative
	Type     string `json:"type"`
	Link     string `json:"link,omitempty"`
	Mode     string `json:"mode,omitempty"` // octal with setuid/setgid/sticky bits
	UID      uint32 `json:"uid"`
	GID      uint32 `json:"gid"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256,omitempty"`
	TooLarge bool   `json:"too_large,omitempty"` // over target.MaxReadSize: not hashed
	// Listed directories keep their names, so added and removed files show.
	Listed           bool     `json:"listed,omitempty"`
	Entries          []string `json:"entries,omitempty"`
	EntriesTruncated bool     `json:"entries_truncated,omitempty"`
	Error            string   `json:"error,omitempty"`
}

// Snapshot is an approved (or current) state of a target.
type Snapshot struct {
	Target         string         `json:"target"` // target.Spec.ID
	TargetName     string         `json:"target_name"`
	Kind           string         `json:"kind"`
	ToolVersion    string         `json:"tool_version"`
	ApprovedAt     time.Time      `json:"approved_at"`
	Approval       Approval       `json:"approval"`
	Options        Options        `json:"options"`
	Summary        map[string]int `json:"summary"`
	Rules          []RuleState    `json:"rules"`
	Files          []FileState    `json:"files"`
	FilesTruncated bool           `json:"files_truncated,omitempty"`
}

// Paths returns the snapshot's paths with how they were used (listed
// directories as AccessList), for a rescan to capture the same set.
func (s *Snapshot) Paths() []Recorded {
	out := make([]Recorded, 0, len(s.Files))
	for _, f := range s.Files {
		a := AccessOpen
		if f.Listed {
			a |= AccessList
		}
		out = append(out, Recorded{Path: f.Path, Access: a})
	}
	return out
}

// skipped reports paths that are runtime state, not configuration.
func skipped(p string) bool {
	for _, pre := range []string{"proc", "sys"} {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			return true
		}
	}
	return false
}

// Capture builds a snapshot of rep's rule outcomes and of the paths on t.
// Files are read through t directly (not a Recorder), bounded by
// target.MaxReadSize each and MaxFiles in all; /proc and /sys are left out.
func Capture(ctx context.Context, t target.Target, paths []Recorded, rep *result.Report) (*Snapshot, error) {
	s := &Snapshot{
		TargetName:  rep.Target.Name,
		Kind:        rep.Target.Kind,
		ToolVersion: rep.Tool.Version,
		Summary:     map[string]int{},
	}
	for st, n := range rep.Summary {
		s.Summary[string(st)] = n
	}
	for _, r := range rep.Results {
		rs := RuleState{ID: r.RuleID, Status: r.Status}
		for _, e := range r.Evidence {
			rs.Values = append(rs.Values, Value{Expected: e.Expected, Observed: e.Observed, File: e.File})
		}
		s.Rules = append(s.Rules, rs)
	}
	slices.SortFunc(s.Rules, func(a, b RuleState) int { return strings.Compare(a.ID, b.ID) })

	merged := map[string]Access{}
	for _, p := range paths {
		if !skipped(p.Path) {
			merged[p.Path] |= p.Access
		}
	}
	names := make([]string, 0, len(merged))
	for p := range merged {
		names = append(names, p)
	}
	slices.Sort(names)
	if len(names) > MaxFiles {
		names, s.FilesTruncated = names[:MaxFiles], true
	}
	for _, p := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.Files = append(s.Files, captureFile(t, p, merged[p]&AccessList != 0))
	}
	return s, nil
}

func captureFile(t target.Target, p string, listed bool) FileState {
	fs0 := FileState{Path: p}
	li, err := t.Lstat(p)
	if err != nil {
		return withErr(fs0, err)
	}
	switch {
	case li.Mode.Type() == fs.ModeSymlink:
		fs0.Type, fs0.Link = TypeSymlink, li.Link
		if fs0.Link == "" {
			fs0.Link, _ = t.Readlink(p)
		}
	case li.Mode.IsDir():
		fs0.Type = TypeDir
	case li.Mode.IsRegular():
		fs0.Type = TypeFile
	default:
		fs0.Type = TypeOther
	}
	fi := li
	if fs0.Type == TypeSymlink {
		if fi, err = t.Stat(p); err != nil {
			// A dangling link: its target's absence is part of the state.
			return fs0
		}
	}
	fs0.Mode, fs0.UID, fs0.GID, fs0.Size = modeString(fi.Mode), fi.UID, fi.GID, fi.Size
	switch {
	case fi.Mode.IsRegular() && fi.Size > target.MaxReadSize:
		fs0.TooLarge = true
	case fi.Mode.IsRegular():
		sum, err := hashFile(t, p)
		if err != nil {
			fs0.Error = err.Error()
		}
		fs0.SHA256 = sum
	case fi.Mode.IsDir() && listed:
		fs0.Listed = true
		ents, err := t.ReadDir(p)
		if err != nil {
			fs0.Error = err.Error()
			break
		}
		for _, e := range ents {
			fs0.Entries = append(fs0.Entries, e.Name)
		}
		slices.Sort(fs0.Entries)
		if len(fs0.Entries) > MaxEntries {
			fs0.Entries, fs0.EntriesTruncated = fs0.Entries[:MaxEntries], true
		}
	}
	return fs0
}

func withErr(f FileState, err error) FileState {
	if errors.Is(err, fs.ErrNotExist) {
		f.Type = TypeAbsent
		return f
	}
	f.Type, f.Error = TypeError, err.Error()
	return f
}

func hashFile(t target.Target, p string) (string, error) {
	rc, err := t.Open(p)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rc, target.MaxReadSize+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", target.Abs(p), err)
	}
	if n > target.MaxReadSize {
		return "", fmt.Errorf("read %s: %w", target.Abs(p), target.ErrTooLarge)
	}
	return digest.Of(h), nil
}

// modeString renders permission and special bits the way chmod takes them.
func modeString(m fs.FileMode) string {
	p := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		p |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		p |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		p |= 0o1000
	}
	return fmt.Sprintf("%04o", p)
}

// Sign encodes s as a DSSE envelope (internal/envelope) signed with k and
// returns the file content and the snapshot digest (sha256 of the signed
// payload). The payload is base64 inside the envelope, so re-indenting or
// re-encoding the file's JSON does not break the signature but any edit
// of the snapshot does.
func Sign(s *Snapshot, k *signing.Key) (data []byte, sum string, err error) {
	payload, err := json.Marshal(s)
	if err != nil {
		return nil, "", fmt.Errorf("encode snapshot: %w", err)
	}
	env, err := envelope.Sign(envelope.TypeDriftSnapshot, payload, k)
	if err != nil {
		return nil, "", fmt.Errorf("sign snapshot: %w", err)
	}
	data, err = json.MarshalIndent(env, "", "  ")
	if err != nil {
		return nil, "", fmt.Errorf("encode snapshot: %w", err)
	}
	return append(data, '\n'), digest.SHA256(payload), nil
}

// ErrTampered marks a snapshot that does not verify: edited, signed by an
// untrusted key, or belonging to another target.
var ErrTampered = errors.New("approved snapshot does not verify")

func tampered(path, format string, a ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrTampered, path, fmt.Sprintf(format, a...))
}

// Verify parses a stored snapshot (name is used in errors), in the
// envelope format or the legacy one, and checks its signature with keys.
// It returns the snapshot and its digest.
func Verify(name string, data []byte, keys signing.Keyring) (*Snapshot, string, error) {
	if !envelope.Is(data) {
		return verifyLegacy(name, data, keys)
	}
	env, err := envelope.Parse(data)
	if err != nil {
		return nil, "", tampered(name, "%v", err)
	}
	payload, _, err := envelope.Verify(env, envelope.TypeDriftSnapshot, keys)
	switch {
	case errors.Is(err, envelope.ErrUnknownKey):
		return nil, "", tampered(name, "%v (not in the trusted keys)", err)
	case errors.Is(err, envelope.ErrBadSignature):
		return nil, "", tampered(name, "signature does not verify (the snapshot was modified after approval)")
	case err != nil:
		return nil, "", tampered(name, "%v", err)
	}
	s, err := decodeSnapshot(payload)
	if err != nil {
		return nil, "", tampered(name, "malformed payload: %v", err)
	}
	return s, digest.SHA256(payload), nil
}

func decodeSnapshot(payload []byte) (*Snapshot, error) {
	var s Snapshot
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Load reads and verifies dir/approved.json and checks it belongs to
// identity. A missing snapshot returns an error matching fs.ErrNotExist.
func Load(dir string, keys signing.Keyring, identity string) (*Snapshot, string, error) {
	p := filepath.Join(dir, ApprovedFile)
	b, err := fileutil.ReadBounded(p, MaxSnapshotSize)
	if err != nil {
		return nil, "", err
	}
	s, digest, err := Verify(p, b, keys)
	if err != nil {
		return nil, "", err
	}
	if s.Target != identity {
		return nil, "", tampered(p, "approved for %q, not %q", s.Target, identity)
	}
	return s, digest, nil
}

// Store writes data as dir/approved.json (atomically, 0600), first keeping
// the snapshot it replaces as approved-<time superseded>.json. It returns
// the replaced content (nil if none) so a caller can Restore it.
func Store(dir string, data []byte, now time.Time) (prev []byte, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("snapshot directory: %w", err)
	}
	p := filepath.Join(dir, ApprovedFile)
	prev, err = fileutil.ReadBounded(p, MaxSnapshotSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		prev = nil
	case err != nil:
		return nil, err
	default:
		h := filepath.Join(dir, "approved-"+now.UTC().Format("20060102T150405.000000000Z")+".json")
		if err := fileutil.WriteAtomic(h, prev, 0o600); err != nil {
			return nil, err
		}
	}
	if err := fileutil.WriteAtomic(p, data, 0o600); err != nil {
		return nil, err
	}
	return prev, nil
}

// Restore puts back what Store replaced (prev nil: removes the snapshot).
func Restore(dir string, prev []byte) error {
	p := filepath.Join(dir, ApprovedFile)
	if prev == nil {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	return fileutil.WriteAtomic(p, prev, 0o600)
}

// parent returns a root-relative path's directory ("" for top level).
func parent(p string) string {
	d := path.Dir(p)
	if d == "." {
		return ""
	}
	return d
}
