// Package envelope is the one signed-envelope format for everything cradle
// signs: DSSE, the Dead Simple Signing Envelope of in-toto and Sigstore
// (payloadType, base64 payload, signatures each with a key id; every
// signature is over PAE(payloadType, payload)). Change-log entries and
// heads, drift snapshots, run records and the integrity database use it
// today; SBOM attestations and evidence packs have their payload types
// reserved here.
//
// The envelope type and PAE come from
// github.com/secure-systems-lab/go-securesystemslib/dsse. Verification is
// done here against a keyring by key id instead of with that package's
// EnvelopeVerifier, which tries every key regardless of the key id, cannot
// tell an unknown key from a bad signature, and prints to stdout: cradle
// needs "signed by unknown key X" and "signature by X does not verify" as
// distinct, reportable results.
//
// Because the payload is base64, the signed bytes survive any re-encoding
// of the envelope's JSON (re-indenting with jq, a different key order):
// only the payload itself is covered.
package envelope

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// Payload types. A verifier names the type it expects, so a signed
// payload of one kind can never be passed off as another.
const (
	TypeChangeLogEntry = "application/vnd.cradle.changelog-entry.v1+json"
	TypeChangeLogHead  = "application/vnd.cradle.changelog-head.v1+json"
	TypeDriftSnapshot  = "application/vnd.cradle.drift-snapshot.v1+json"
	TypeRunRecord      = "application/vnd.cradle.run-record.v1+json"
	TypeIntegrityDB    = "application/vnd.cradle.integrity-db.v1+json"

	// Reserved for the capabilities that sign next.
	TypeEvidencePack = "application/vnd.cradle.evidence-pack.v1+json"
	// TypeSBOMAttestation is the in-toto attestation type, so standard
	// tools (cosign, in-toto verifiers) accept cradle's SBOM attestations.
	TypeSBOMAttestation = "application/vnd.in-toto+json"
)

// MaxSize bounds an envelope Parse accepts.
const MaxSize = 96 << 20

// Envelope is a DSSE envelope.
type Envelope = dsse.Envelope

// Signature is one signature of an envelope.
type Signature = dsse.Signature

// Signer signs with one key (signing.Key implements it).
type Signer interface {
	ID() string
	Sign(msg []byte) []byte
}

// Keys verifies a signature by key id (signing.Keyring implements it).
// known is false when the key id is not trusted.
type Keys interface {
	Verify(keyID string, msg, sig []byte) (known, ok bool)
}

// Errors of Verify and Parse; the returned errors wrap one of them.
var (
	ErrMalformed    = errors.New("malformed envelope")
	ErrPayloadType  = errors.New("unexpected payload type")
	ErrUnsigned     = errors.New("envelope has no signature")
	ErrUnknownKey   = errors.New("signed by an unknown key")
	ErrBadSignature = errors.New("signature does not verify")
)

// PAE is DSSE's pre-authentication encoding: what every signature covers.
func PAE(payloadType string, payload []byte) []byte { return dsse.PAE(payloadType, payload) }

// dsseSigner adapts a Signer to the dsse package.
type dsseSigner struct{ s Signer }

func (d dsseSigner) Sign(_ context.Context, data []byte) ([]byte, error) { return d.s.Sign(data), nil }
func (d dsseSigner) KeyID() (string, error)                              { return d.s.ID(), nil }

// Sign wraps payload in an envelope signed by every signer, in order: the
// first is the primary signer (Verify returns its key id); more than one
// is used when a key vouches for another, as on key rotation.
func Sign(payloadType string, payload []byte, signers ...Signer) (*Envelope, error) {
	if payloadType == "" {
		return nil, fmt.Errorf("sign: %w: empty payload type", ErrMalformed)
	}
	ps := make([]dsse.Signer, 0, len(signers))
	for _, s := range signers {
		if s != nil {
			ps = append(ps, dsseSigner{s})
		}
	}
	es, err := dsse.NewEnvelopeSigner(ps...)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", payloadType, err)
	}
	env, err := es.SignPayload(context.Background(), payloadType, payload)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", payloadType, err)
	}
	return env, nil
}

// Verify checks that env carries payloadType and that every signature is
// by a trusted key and verifies; it returns the payload and the primary
// (first) signer's key id. An envelope with a signature by an unknown key
// is refused even when another signature is good: nothing untrusted is
// silently ignored.
func Verify(env *Envelope, payloadType string, keys Keys) (payload []byte, keyID string, err error) {
	if env == nil {
		return nil, "", ErrMalformed
	}
	if env.PayloadType != payloadType {
		return nil, "", fmt.Errorf("%w %q (want %q)", ErrPayloadType, env.PayloadType, payloadType)
	}
	if len(env.Signatures) == 0 {
		return nil, "", ErrUnsigned
	}
	payload, err = env.DecodeB64Payload()
	if err != nil {
		return nil, "", fmt.Errorf("%w: payload is not base64", ErrMalformed)
	}
	msg := PAE(env.PayloadType, payload)
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			return nil, "", fmt.Errorf("%w: signature by key %q is not base64", ErrMalformed, s.KeyID)
		}
		known, ok := keys.Verify(s.KeyID, msg, sig)
		switch {
		case !known:
			return nil, "", fmt.Errorf("%w %q", ErrUnknownKey, s.KeyID)
		case !ok:
			return nil, "", fmt.Errorf("%w: key %s", ErrBadSignature, s.KeyID)
		}
	}
	return payload, env.Signatures[0].KeyID, nil
}

// KeyIDs lists the key ids of env's signatures, primary first.
func KeyIDs(env *Envelope) []string {
	ids := make([]string, len(env.Signatures))
	for i, s := range env.Signatures {
		ids[i] = s.KeyID
	}
	return ids
}

// Parse decodes one envelope strictly: unknown fields, trailing data, a
// missing payload type and more than MaxSize bytes are errors. It does not
// verify.
func Parse(data []byte) (*Envelope, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, MaxSize)
	}
	var env Envelope
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("%w: trailing data", ErrMalformed)
	}
	if env.PayloadType == "" {
		return nil, fmt.Errorf("%w: no payloadType", ErrMalformed)
	}
	return &env, nil
}

// Marshal encodes env as one line of compact JSON (no trailing newline).
func Marshal(env *Envelope) ([]byte, error) {
	b, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encode envelope: %w", err)
	}
	return b, nil
}

// Is reports whether data looks like an envelope (a JSON object with a
// payloadType member), to tell it from cradle's earlier signed formats.
func Is(data []byte) bool {
	var probe struct {
		PayloadType *string `json:"payloadType"`
	}
	return json.Unmarshal(data, &probe) == nil && probe.PayloadType != nil
}
