package drift

import (
	"bytes"
	"encoding/base64"
	"encoding/json"

	"github.com/cradle-cra/cradle/internal/digest"
	"github.com/cradle-cra/cradle/internal/signing"
)

// legacyEnvelope is the snapshot file format before DSSE: the payload's
// compact JSON (as encoding/json wrote it) is what was signed.
type legacyEnvelope struct {
	Format  string          `json:"format"`
	KeyID   string          `json:"key_id"`
	Sig     string          `json:"sig"`
	Payload json.RawMessage `json:"payload"`
}

// verifyLegacy verifies a snapshot approved before the envelope format.
// Re-indenting must not raise a tamper alarm, and tools such as jq also
// un-escape the \u003c, \u003e and \u0026 that encoding/json wrote, so the
// payload is tried compacted and compacted with those escapes restored.
func verifyLegacy(name string, data []byte, keys signing.Keyring) (*Snapshot, string, error) {
	var env legacyEnvelope
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return nil, "", tampered(name, "malformed: %v", err)
	}
	if env.Format != LegacyFormat {
		return nil, "", tampered(name, "unknown format %q (want %s)", env.Format, LegacyFormat)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, env.Payload); err != nil {
		return nil, "", tampered(name, "malformed payload: %v", err)
	}
	var escaped bytes.Buffer
	json.HTMLEscape(&escaped, compact.Bytes())
	sig, err := base64.StdEncoding.DecodeString(env.Sig)
	if err != nil {
		return nil, "", tampered(name, "signature is not base64")
	}
	var payload []byte
	for _, cand := range [][]byte{compact.Bytes(), escaped.Bytes()} {
		known, ok := keys.Verify(env.KeyID, append([]byte(LegacyFormat+":"), cand...), sig)
		if !known {
			return nil, "", tampered(name, "signed by unknown key %q (not in the trusted keys)", env.KeyID)
		}
		if ok {
			payload = cand
			break
		}
	}
	if payload == nil {
		return nil, "", tampered(name, "signature does not verify (the snapshot was modified after approval)")
	}
	s, err := decodeSnapshot(payload)
	if err != nil {
		return nil, "", tampered(name, "malformed payload: %v", err)
	}
	return s, digest.SHA256(payload), nil
}
