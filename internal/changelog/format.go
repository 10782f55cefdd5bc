package changelog

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cradle-cra/cradle/internal/envelope"
	"github.com/cradle-cra/cradle/internal/signing"
)

// Storage formats of entries and heads. Entries and heads are written as
// DSSE envelopes (internal/envelope); logs written before that keep their
// legacy lines, which still verify, and new entries chain onto them. Once
// a log holds an envelope entry, a legacy line after it is refused: a
// downgrade would let a forger use the weaker, unmaintained format.
const (
	FormatDSSE   = "dsse"
	FormatLegacy = "legacy"
)

// payloadDrop are the Entry fields that describe the stored form and are
// not part of the signed payload.
var payloadDrop = []string{"hash", "key_id", "sig", "format", "cosigners"}

// encodeEntry signs e (Seq, Time, Actor, Target and PrevHash set) as an
// envelope line and fills in Hash, KeyID, Sig, Format and Cosigners. The
// entry hash that chains the log is sha256 over the payload bytes.
func encodeEntry(e *Entry, signer *signing.Key, cosigners []*signing.Key) ([]byte, error) {
	e.Hash, e.KeyID, e.Sig, e.Format, e.Cosigners = "", "", "", "", nil
	raw, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	payload, err := canonical(raw, payloadDrop...)
	if err != nil {
		return nil, err
	}
	signers := []envelope.Signer{signer}
	for _, c := range cosigners {
		signers = append(signers, c)
	}
	env, err := envelope.Sign(envelope.TypeChangeLogEntry, payload, signers...)
	if err != nil {
		return nil, err
	}
	line, err := envelope.Marshal(env)
	if err != nil {
		return nil, err
	}
	fillFromEnvelope(e, env, payload)
	return line, nil
}

func payloadHash(payload []byte) string {
	s := sha256.Sum256(payload)
	return hex.EncodeToString(s[:])
}

func fillFromEnvelope(e *Entry, env *envelope.Envelope, payload []byte) {
	e.Hash, e.Format = payloadHash(payload), FormatDSSE
	e.Cosigners = nil
	if len(env.Signatures) > 0 {
		e.KeyID, e.Sig = env.Signatures[0].KeyID, env.Signatures[0].Sig
		for _, s := range env.Signatures[1:] {
			e.Cosigners = append(e.Cosigners, s.KeyID)
		}
	}
}

// parseEntry decodes a stored line of either format without verifying
// it. For an envelope it returns the envelope too.
func parseEntry(line []byte) (Entry, *envelope.Envelope, error) {
	var e Entry
	if !envelope.Is(line) {
		err := json.Unmarshal(line, &e)
		e.Format = FormatLegacy
		return e, nil, err
	}
	env, err := envelope.Parse(line)
	if err != nil {
		return e, nil, err
	}
	if env.PayloadType != envelope.TypeChangeLogEntry {
		return e, nil, fmt.Errorf("payload type %q is not a change-log entry", env.PayloadType)
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return e, nil, err
	}
	if err := json.Unmarshal(payload, &e); err != nil {
		return e, nil, err
	}
	fillFromEnvelope(&e, env, payload)
	return e, env, nil
}

// checkEntry parses one line and checks its hash (legacy) or envelope
// signatures, which cover the payload and so the hash.
func checkEntry(n int, line []byte, keys signing.Keyring) (Entry, *Problem) {
	e, env, err := parseEntry(line)
	if err != nil {
		return e, &Problem{Kind: KindMalformed, Line: n, Seq: e.Seq, Detail: fmt.Sprintf("malformed entry: %v", err)}
	}
	if e.Seq == 0 || len(e.Hash) != 64 || len(e.PrevHash) != 64 {
		return e, &Problem{Kind: KindMalformed, Line: n, Seq: e.Seq, Detail: "malformed entry: seq, hash or prev_hash missing"}
	}
	if env != nil {
		_, _, err := envelope.Verify(env, envelope.TypeChangeLogEntry, keys)
		switch {
		case errors.Is(err, envelope.ErrUnknownKey):
			return e, &Problem{Kind: KindUnknownKey, Line: n, Seq: e.Seq, Detail: fmt.Sprintf("%v (trusted: %v)", err, keys.IDs())}
		case errors.Is(err, envelope.ErrBadSignature):
			return e, &Problem{Kind: KindSignature, Line: n, Seq: e.Seq, Detail: fmt.Sprintf("%v: the entry was edited or forged", err)}
		case err != nil:
			return e, &Problem{Kind: KindMalformed, Line: n, Seq: e.Seq, Detail: fmt.Sprintf("malformed entry: %v", err)}
		}
		return e, nil
	}
	return checkLegacyEntry(n, line, e, keys)
}

// checkLegacyEntry verifies an entry of the pre-envelope format: hash over
// the canonical JSON without hash and sig, signature over a prefixed hash.
func checkLegacyEntry(n int, line []byte, e Entry, keys signing.Keyring) (Entry, *Problem) {
	h, err := entryHash(line)
	if err != nil {
		return e, &Problem{Kind: KindMalformed, Line: n, Seq: e.Seq, Detail: fmt.Sprintf("malformed entry: %v", err)}
	}
	if h != e.Hash {
		return e, &Problem{Kind: KindHash, Line: n, Seq: e.Seq, Detail: fmt.Sprintf("content does not match its hash (computed %s, recorded %s): the entry was edited", short(h), short(e.Hash))}
	}
	sig, err := base64.StdEncoding.DecodeString(e.Sig)
	if err != nil {
		return e, &Problem{Kind: KindSignature, Line: n, Seq: e.Seq, Detail: "signature is not base64"}
	}
	known, ok := keys.Verify(e.KeyID, []byte(entrySigPrefix+e.Hash), sig)
	switch {
	case !known:
		return e, &Problem{Kind: KindUnknownKey, Line: n, Seq: e.Seq, Detail: fmt.Sprintf("signed by unknown key %q (trusted: %v)", e.KeyID, keys.IDs())}
	case !ok:
		return e, &Problem{Kind: KindSignature, Line: n, Seq: e.Seq, Detail: fmt.Sprintf("signature by key %s does not verify: the entry was forged or re-hashed", e.KeyID)}
	}
	return e, nil
}

// encodeHead signs h (Target, Seq, Hash, Time set) as an indented envelope
// file and fills in KeyID and Sig.
func encodeHead(h *Head, signer *signing.Key) ([]byte, error) {
	payload, err := json.Marshal(headPayload{Target: h.Target, Seq: h.Seq, Hash: h.Hash, Time: h.Time})
	if err != nil {
		return nil, err
	}
	env, err := envelope.Sign(envelope.TypeChangeLogHead, payload, signer)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return nil, err
	}
	h.KeyID, h.Sig, h.env = env.Signatures[0].KeyID, env.Signatures[0].Sig, env
	return append(b, '\n'), nil
}

// headPayload is the signed content of an envelope head.
type headPayload struct {
	Target string `json:"target"`
	Seq    uint64 `json:"seq"`
	Hash   string `json:"hash"`
	Time   string `json:"time"`
}

// parseHead decodes a head file of either format without verifying it.
func parseHead(b []byte) (Head, error) {
	var h Head
	if !envelope.Is(b) {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		err := dec.Decode(&h)
		return h, err
	}
	env, err := envelope.Parse(b)
	if err != nil {
		return h, err
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return h, err
	}
	var p headPayload
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return h, err
	}
	h = Head{Target: p.Target, Seq: p.Seq, Hash: p.Hash, Time: p.Time, env: env}
	if len(env.Signatures) > 0 {
		h.KeyID, h.Sig = env.Signatures[0].KeyID, env.Signatures[0].Sig
	}
	return h, nil
}

// verifyHead checks the head's signature with keys.
func verifyHead(h Head, keys signing.Keyring) error {
	if h.env != nil {
		_, _, err := envelope.Verify(h.env, envelope.TypeChangeLogHead, keys)
		switch {
		case errors.Is(err, envelope.ErrUnknownKey):
			return fmt.Errorf("head %v", err)
		case errors.Is(err, envelope.ErrBadSignature):
			return errors.New("head signature does not verify (head file modified)")
		case err != nil:
			return fmt.Errorf("head: %v", err)
		}
		return nil
	}
	msg, err := headMessage(h)
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(h.Sig)
	if err != nil {
		return errors.New("head signature is not base64")
	}
	known, ok := keys.Verify(h.KeyID, msg, sig)
	switch {
	case !known:
		return fmt.Errorf("head signed by unknown key %q", h.KeyID)
	case !ok:
		return errors.New("head signature does not verify (head file modified)")
	}
	return nil
}

// headMessage is what a legacy head signature covers.
func headMessage(h Head) ([]byte, error) {
	h.Sig = ""
	b, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	c, err := canonical(b, "sig")
	if err != nil {
		return nil, err
	}
	return append([]byte(headSigPrefix), c...), nil
}
