// Package changelog is cradle's tamper-evident change log: one append-only
// JSON-lines file per target under $CRADLE_HOME/logs, where every entry
// records who changed what, when and why, is chained to the previous entry
// by hash and signed with ed25519. A signed head file records the last
// entry so truncation is detected too. Fix, rollback, approval and waiver
// commands append to it; Verify finds the first entry that was edited,
// deleted, reordered, forged or cut off. See docs/change-log.md.
package changelog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// Known actions. Others are rejected so that consumers can rely on the
// vocabulary.
const (
	ActionApply        = "apply"         // a fix run changed the target
	ActionRollback     = "rollback"      // a run was rolled back
	ActionApprove      = "approve"       // a baseline snapshot was approved
	ActionWaiverAdd    = "waiver-add"    // a waiver was added
	ActionWaiverRemove = "waiver-remove" // a waiver was removed or expired
	ActionTailoring    = "tailoring"     // tailoring (rule selection, parameters) changed
	ActionKeyRotate    = "key-rotate"    // the signing key changed
	ActionManual       = "manual"        // a change made by hand, recorded by an operator
	ActionNote         = "note"          // a remark without a change
	ActionRepair       = "log-repair"    // damaged entries were cut off the log (cradle log repair)
	ActionCase         = "case"          // a vulnerability case changed (cradle case, cradle advisory)
)

// Actions lists the known actions.
var Actions = []string{ActionApply, ActionRollback, ActionApprove, ActionWaiverAdd, ActionWaiverRemove,
	ActionTailoring, ActionKeyRotate, ActionManual, ActionNote, ActionRepair, ActionCase}

// Reserved reports actions only cradle's own commands record: their
// details are checked by Verify (a key-rotate entry must be signed by the
// keys it names).
func Reserved(a string) bool { return a == ActionKeyRotate || a == ActionRepair || a == ActionCase }

// ValidAction reports whether a is a known action.
func ValidAction(a string) bool { return slices.Contains(Actions, a) }

// GenesisHash is prev_hash of the first entry.
var GenesisHash = strings.Repeat("0", 64)

// OSUser is the operating-system account that appended an entry.
type OSUser struct {
	UID  string `json:"uid"`
	Name string `json:"name,omitempty"`
	// SudoUser is the invoking user when running under sudo.
	SudoUser string `json:"sudo_user,omitempty"`
}

// Actor says who made a change: the OS account and, optionally, the person
// or system named with --actor.
type Actor struct {
	OSUser OSUser `json:"os_user"`
	Actor  string `json:"actor,omitempty"`
}

// String is a short display form: "actor (os user)" or "os user".
func (a Actor) String() string {
	u := a.OSUser.Name
	if u == "" {
		u = "uid " + a.OSUser.UID
	}
	if a.OSUser.SudoUser != "" {
		u += " via sudo by " + a.OSUser.SudoUser
	}
	if a.Actor != "" {
		return a.Actor + " (" + u + ")"
	}
	return u
}

// Entry is one change-log record. It is stored as a DSSE envelope whose
// payload is the entry without Hash, KeyID, Sig, Format and Cosigners;
// Hash is sha256 over that payload and chains the next entry. Entries of
// the legacy format hash their canonical JSON without hash and sig, and
// Sig signs that hash.
type Entry struct {
	Seq       uint64            `json:"seq"`
	Time      string            `json:"time"` // RFC 3339, UTC
	Actor     Actor             `json:"actor"`
	Action    string            `json:"action"`
	Rules     []string          `json:"rules,omitempty"`
	Target    string            `json:"target"`
	ChangeRef string            `json:"change_ref,omitempty"`
	Reason    string            `json:"reason,omitempty"`
	Before    map[string]string `json:"before,omitempty"` // path or subject -> digest
	After     map[string]string `json:"after,omitempty"`
	Details   json.RawMessage   `json:"details,omitempty"` // a JSON object
	PrevHash  string            `json:"prev_hash"`
	Hash      string            `json:"hash"`
	KeyID     string            `json:"key_id"`
	Sig       string            `json:"sig"` // base64 ed25519 (the envelope's first signature)
	// Format is FormatDSSE or FormatLegacy; Cosigners are the key ids of
	// further signatures (a key-rotate entry is signed by the old and the
	// new key). Neither is part of the signed payload.
	Format    string   `json:"format,omitempty"`
	Cosigners []string `json:"cosigners,omitempty"`
}

// Domain-separation prefixes of the legacy format: an entry signature can
// never pass as a head signature or the other way round. (Envelopes get
// the same from their payload types.)
const (
	entrySigPrefix = "cradle.changelog.entry.v1:"
	headSigPrefix  = "cradle.changelog.head.v1:"
)

// MaxEntrySize bounds one log line (and so what Append accepts and what
// Verify reads into memory).
const MaxEntrySize = 1 << 20

// canonical re-encodes one JSON object with sorted keys, no insignificant
// whitespace, numbers as written and without the named top-level fields.
// Writer and verifier both hash this form, so any edit to a covered field,
// including adding one, changes the hash.
func canonical(line []byte, drop ...string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("trailing data after the JSON object")
	}
	for _, k := range drop {
		delete(m, k)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// entryHash computes an entry line's hash: hex sha256 over its canonical
// form without "hash" and "sig".
func entryHash(line []byte) (string, error) {
	c, err := canonical(line, "hash", "sig")
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(c)
	return hex.EncodeToString(s[:]), nil
}
