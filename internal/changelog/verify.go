package changelog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"

	"github.com/cradle-cra/cradle/internal/signing"
)

// Kind classifies a verification problem.
type Kind string

// Problem kinds.
const (
	KindMalformed  Kind = "malformed"   // a line is not a valid entry
	KindTruncated  Kind = "truncated"   // the log ends early (cut line, entries missing at the end)
	KindHash       Kind = "hash"        // an entry's content does not match its hash: edited
	KindUnknownKey Kind = "unknown-key" // signed by a key that is not trusted
	KindSignature  Kind = "signature"   // the signature does not verify
	KindSequence   Kind = "sequence"    // seq gap or reordering: entries deleted or moved
	KindChain      Kind = "chain"       // prev_hash does not match the previous entry
	KindHead       Kind = "head"        // the head file is missing, forged or does not match
)

// Problem is the first thing wrong with a log. Line and Seq are 0 when not
// tied to one entry.
type Problem struct {
	Kind   Kind
	Line   int
	Seq    uint64
	Detail string
}

func (p *Problem) Error() string {
	switch {
	case p.Seq > 0 && p.Line > 0:
		return fmt.Sprintf("entry %d (line %d): %s", p.Seq, p.Line, p.Detail)
	case p.Line > 0:
		return fmt.Sprintf("line %d: %s", p.Line, p.Detail)
	}
	return p.Detail
}

// Summary describes an intact log.
type Summary struct {
	Target   string
	Entries  int
	LastSeq  uint64
	LastHash string
	// HeadSeq is the entry the head records (0 without a head).
	HeadSeq uint64
	// Warnings are oddities that are not tampering, e.g. a head that lags
	// behind the log after an interrupted append.
	Warnings []string
}

// Verify walks the entries of r and returns the first problem as a
// *Problem error; other errors are read failures. Each entry must parse,
// match its hash, carry a valid signature by a key in keys, have the next
// seq and chain to the previous entry's hash. head, when not nil, must be
// signed by a key in keys and match the end of the log.
func Verify(r io.Reader, keys signing.Keyring, head *Head) (Summary, error) {
	return verify(r, keys, head, nil)
}

// verify is Verify calling visit, when set, with each entry that passed.
func verify(r io.Reader, keys signing.Keyring, head *Head, visit func(Entry)) (Summary, error) {
	var s Summary
	prev := GenesisHash
	var headHash string // hash of the entry at head.Seq
	enveloped := false
	err := scanLines(r, func(n int, line []byte, final bool) error {
		if final {
			return &Problem{Kind: KindTruncated, Line: n, Detail: "last line is cut off (no newline): truncated or interrupted write"}
		}
		e, p := checkEntry(n, line, keys)
		if p != nil {
			return p
		}
		if e.Format == FormatLegacy && enveloped {
			return &Problem{Kind: KindMalformed, Line: n, Seq: e.Seq, Detail: "legacy-format entry after envelope entries: the log was downgraded to the older format"}
		}
		enveloped = enveloped || e.Format == FormatDSSE
		if p := checkRotation(n, e); p != nil {
			return p
		}
		want := s.LastSeq + 1
		switch {
		case e.Seq < want:
			return &Problem{Kind: KindSequence, Line: n, Seq: e.Seq, Detail: fmt.Sprintf("sequence: expected entry %d, got %d (entries reordered or duplicated)", want, e.Seq)}
		case e.Seq > want:
			return &Problem{Kind: KindSequence, Line: n, Seq: e.Seq, Detail: fmt.Sprintf("sequence: expected entry %d, got %d (entries deleted or reordered)", want, e.Seq)}
		}
		if e.PrevHash != prev {
			return &Problem{Kind: KindChain, Line: n, Seq: e.Seq, Detail: fmt.Sprintf("prev_hash %s does not match the hash of entry %d (%s): an entry was replaced, deleted or reordered", short(e.PrevHash), s.LastSeq, short(prev))}
		}
		if s.Entries == 0 {
			s.Target = e.Target
		}
		if e.Target != s.Target {
			return &Problem{Kind: KindChain, Line: n, Seq: e.Seq, Detail: fmt.Sprintf("entry belongs to target %q, the log to %q: spliced from another log", e.Target, s.Target)}
		}
		prev = e.Hash
		s.Entries++
		if visit != nil {
			visit(e)
		}
		s.LastSeq, s.LastHash = e.Seq, e.Hash
		if head != nil && e.Seq == head.Seq {
			headHash = e.Hash
		}
		return nil
	})
	if err != nil {
		var p *Problem
		if errors.As(err, &p) {
			return s, p
		}
		var le lineErr
		if errors.As(err, &le) && errors.Is(err, errLineTooLong) {
			return s, &Problem{Kind: KindMalformed, Line: le.n, Detail: le.err.Error()}
		}
		return s, err
	}
	if head == nil {
		return s, nil
	}
	s.HeadSeq = head.Seq
	if err := verifyHead(*head, keys); err != nil {
		return s, &Problem{Kind: KindHead, Detail: err.Error()}
	}
	switch {
	case s.Entries > 0 && head.Target != s.Target:
		return s, &Problem{Kind: KindHead, Detail: fmt.Sprintf("head belongs to target %q, the log to %q", head.Target, s.Target)}
	case head.Seq > s.LastSeq:
		if s.LastSeq == 0 {
			return s, &Problem{Kind: KindTruncated, Detail: fmt.Sprintf("log is empty but the head records entry %d: truncated", head.Seq)}
		}
		return s, &Problem{Kind: KindTruncated, Detail: fmt.Sprintf("truncated after entry %d: the head records entry %d", s.LastSeq, head.Seq)}
	case head.Hash != headHash:
		return s, &Problem{Kind: KindHead, Seq: head.Seq, Detail: fmt.Sprintf("entry %d does not match the head (hash %s, head %s): the log was rewritten", head.Seq, short(headHash), short(head.Hash))}
	case head.Seq+1 < s.LastSeq:
		// Every append rewrites the head, so at most the last one can be
		// missing from it.
		return s, &Problem{Kind: KindHead, Detail: fmt.Sprintf("head records entry %d but the log has %d: the head was replaced by an older one", head.Seq, s.LastSeq)}
	case head.Seq < s.LastSeq:
		s.Warnings = append(s.Warnings, fmt.Sprintf("head records entry %d, the log has %d: the last append was interrupted before it updated the head (entries after %d are signed but not confirmed by a head)", head.Seq, s.LastSeq, head.Seq))
	}
	return s, nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// ErrNoLog is returned by VerifyFiles when the target has neither a log
// nor a head.
var ErrNoLog = errors.New("no change log")

// Verify checks the log file and its head. A log without a head (or a head
// without a log) is a *Problem; neither is ErrNoLog.
func (l *Log) Verify(keys signing.Keyring) (Summary, error) { return l.verify(keys, nil) }

// verify is Verify calling visit with each verified entry (entries after
// the first problem are not visited).
func (l *Log) verify(keys signing.Keyring, visit func(Entry)) (Summary, error) {
	pending, pok, perr := readPending(l.PendingPath(), keys, l.Target)
	if perr != nil {
		if errors.Is(perr, fs.ErrPermission) {
			return Summary{}, perr
		}
		return Summary{}, &Problem{Kind: KindHead, Detail: perr.Error()}
	}
	head, herr := ReadHead(l.HeadPath())
	if herr != nil && !errors.Is(herr, fs.ErrNotExist) {
		var s Summary
		if errors.Is(herr, fs.ErrPermission) {
			return s, herr
		}
		return s, &Problem{Kind: KindHead, Detail: herr.Error()}
	}
	f, err := os.Open(l.Path())
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return Summary{}, err
		}
		if herr != nil {
			return Summary{}, fmt.Errorf("%w for target %s (%s)", ErrNoLog, l.Target, l.Path())
		}
		return Summary{HeadSeq: head.Seq}, &Problem{Kind: KindTruncated, Detail: fmt.Sprintf("log file %s is missing but the head records entry %d", l.Path(), head.Seq)}
	}
	defer f.Close()
	if pok {
		s, err := l.verifyWithPending(f, keys, head, herr, pending, visit)
		if err == nil && herr == nil && head.Target != l.Target {
			return s, &Problem{Kind: KindHead, Detail: fmt.Sprintf("log belongs to target %q, not %q: copied from another target", head.Target, l.Target)}
		}
		return s, err
	}
	if herr != nil {
		s, err := verify(f, keys, nil, visit)
		if err != nil {
			return s, err
		}
		if s.Entries > 0 {
			return s, &Problem{Kind: KindHead, Detail: fmt.Sprintf("head file %s is missing: truncation cannot be ruled out", l.HeadPath())}
		}
		return s, nil
	}
	s, err := verify(f, keys, &head, visit)
	if err == nil && head.Target != l.Target {
		return s, &Problem{Kind: KindHead, Detail: fmt.Sprintf("log belongs to target %q, not %q: copied from another target", head.Target, l.Target)}
	}
	return s, err
}

// checkRotation requires a key-rotate entry that names its keys to be
// signed by both: the old key as signer, the new one as co-signer, whose
// public key the entry carries. So a rotation entry always vouches for
// the key that signs after it.
func checkRotation(n int, e Entry) *Problem {
	if e.Action != ActionKeyRotate || e.Format != FormatDSSE {
		return nil
	}
	var d RotationDetails
	if json.Unmarshal(e.Details, &d) != nil || d.NewKey == "" {
		return nil // a key-rotate recorded by hand before the action was reserved
	}
	pub, err := signing.ParsePublic("new_public_key", []byte(d.NewPublicKey))
	switch {
	case err != nil || signing.KeyID(pub) != d.NewKey:
		return &Problem{Kind: KindSignature, Line: n, Seq: e.Seq, Detail: "key-rotate entry: new_public_key does not match new_key"}
	case d.OldKey != e.KeyID || !slices.Contains(e.Cosigners, d.NewKey):
		return &Problem{Kind: KindSignature, Line: n, Seq: e.Seq, Detail: fmt.Sprintf("key-rotate entry from %s to %s is not signed by both keys (signed by %s, co-signed by %v)", d.OldKey, d.NewKey, e.KeyID, e.Cosigners)}
	}
	return nil
}
