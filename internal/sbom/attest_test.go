package sbom

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	attv1 "github.com/in-toto/attestation/go/v1"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/secure-systems-lab/go-securesystemslib/signerverifier"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cradle-cra/cradle/internal/envelope"
	"github.com/cradle-cra/cradle/internal/signing"
)

// attested signs the test tree's SBOM in format with a new key.
func attested(t *testing.T, format string) ([]byte, *signing.Key, ArtifactDigest) {
	t.Helper()
	k, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	b := build(t, "testdata/rootfs")
	subj, ok := b.TreeDigest("root:testdata/rootfs")
	if !ok {
		t.Fatal("no tree digest: no file hashed")
	}
	att, err := Attest(renderAs(t, b, format, goldenOpts), format, []ArtifactDigest{subj}, k)
	if err != nil {
		t.Fatal(err)
	}
	return att, k, subj
}

func keyring(keys ...*signing.Key) signing.Keyring {
	r := signing.Keyring{}
	for _, k := range keys {
		r.Add(k.Public())
	}
	return r
}

func TestAttestRoundTrip(t *testing.T) {
	for _, format := range []string{FormatCycloneDXJSON, FormatSPDXJSON, FormatSPDX23JSON} {
		t.Run(format, func(t *testing.T) {
			att, k, subj := attested(t, format)
			a, err := VerifyAttestation(att, keyring(k))
			if err != nil {
				t.Fatal(err)
			}
			if a.KeyID != k.ID() || len(a.Doc.Components) == 0 || !a.Matches(subj) {
				t.Errorf("key %s, %d components, subject match %v", a.KeyID, len(a.Doc.Components), a.Matches(subj))
			}
			if a.Matches(ArtifactDigest{Digest: map[string]string{"sha512": strings.Repeat("0", 128)}}) {
				t.Error("another digest matches")
			}
		})
	}
}

func TestAttestXMLRefused(t *testing.T) {
	k, _ := signing.Generate()
	if _, err := Attest([]byte("<bom/>"), FormatCycloneDXXML, []ArtifactDigest{{Name: "x", Digest: map[string]string{"sha256": "00"}}}, k); err == nil {
		t.Error("XML attested")
	}
}

// resign replaces the statement of att by edit's result, signed by k
// (to test what a verifier checks beyond the signature).
func resign(t *testing.T, att []byte, k *signing.Key, payloadType string, edit func(map[string]any)) []byte {
	t.Helper()
	env, err := envelope.Parse(att)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := env.DecodeB64Payload()
	var st map[string]any
	if err := json.Unmarshal(p, &st); err != nil {
		t.Fatal(err)
	}
	edit(st)
	p, _ = json.Marshal(st)
	e2, err := envelope.Sign(payloadType, p, k)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(e2)
	return out
}

func TestVerifyAttestationRefuses(t *testing.T) {
	att, k, _ := attested(t, FormatCycloneDXJSON)
	other, _ := signing.Generate()
	env, _ := envelope.Parse(att)
	p, _ := env.DecodeB64Payload()
	tampered := *env
	tampered.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(p, []byte(`"name":"`), []byte(`"name":"x`), 1))
	tamperedJSON, _ := json.Marshal(&tampered)
	keep := func(map[string]any) {}
	cases := []struct {
		name string
		data []byte
		keys signing.Keyring
		want error
	}{
		{"tampered payload", tamperedJSON, keyring(k), envelope.ErrBadSignature},
		{"wrong key", att, keyring(other), envelope.ErrUnknownKey},
		{"wrong payload type", resign(t, att, k, envelope.TypeDriftSnapshot, keep), keyring(k), envelope.ErrPayloadType},
		{"not an envelope", []byte(`{"bomFormat":"CycloneDX"}`), keyring(k), envelope.ErrMalformed},
		{"statement v0.1", resign(t, att, k, envelope.TypeSBOMAttestation, func(m map[string]any) { m["_type"] = "https://in-toto.io/Statement/v0.1" }), keyring(k), ErrStatement},
		{"no subject", resign(t, att, k, envelope.TypeSBOMAttestation, func(m map[string]any) { m["subject"] = []any{} }), keyring(k), ErrStatement},
		{"bad digest", resign(t, att, k, envelope.TypeSBOMAttestation, func(m map[string]any) {
			m["subject"] = []any{map[string]any{"name": "x", "digest": map[string]any{"sha256": "abc"}}}
		}), keyring(k), ErrStatement},
		{"provenance predicate", resign(t, att, k, envelope.TypeSBOMAttestation, func(m map[string]any) { m["predicateType"] = "https://slsa.dev/provenance/v1" }), keyring(k), ErrStatement},
		{"predicate no SBOM", resign(t, att, k, envelope.TypeSBOMAttestation, func(m map[string]any) { m["predicate"] = map[string]any{"a": 1} }), keyring(k), ErrPredicate},
		{"SPDX type, CycloneDX predicate", resign(t, att, k, envelope.TypeSBOMAttestation, func(m map[string]any) { m["predicateType"] = PredicateSPDX }), keyring(k), ErrPredicate},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := VerifyAttestation(c.data, c.keys)
			if !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
		})
	}
}

// TestAttestationStandardTools checks cradle's attestation with
// independent implementations: go-securesystemslib's DSSE
// EnvelopeVerifier with its ed25519 verifier loaded from cradle's PEM
// public key, and the in-toto attestation framework's Go bindings
// (Statement v1 parsed with protojson and validated).
func TestAttestationStandardTools(t *testing.T) {
	for _, format := range []string{FormatCycloneDXJSON, FormatSPDXJSON} {
		t.Run(format, func(t *testing.T) {
			att, k, subj := attested(t, format)
			pem, err := signing.MarshalPublic(k.Public())
			if err != nil {
				t.Fatal(err)
			}
			key, err := signerverifier.LoadKey(pem)
			if err != nil {
				t.Fatal(err)
			}
			key.KeyID = k.ID() // the envelope names cradle's key id
			sv, err := signerverifier.NewED25519SignerVerifierFromSSLibKey(key)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := dsse.NewEnvelopeVerifier(sv)
			if err != nil {
				t.Fatal(err)
			}
			var env dsse.Envelope
			if err := json.Unmarshal(att, &env); err != nil {
				t.Fatal(err)
			}
			if env.PayloadType != "application/vnd.in-toto+json" {
				t.Errorf("payload type %q", env.PayloadType)
			}
			if _, err := ev.Verify(context.Background(), &env); err != nil {
				t.Fatalf("securesystemslib: %v", err)
			}
			payload, _ := env.DecodeB64Payload()
			var st attv1.Statement
			if err := protojson.Unmarshal(payload, &st); err != nil {
				t.Fatalf("in-toto Statement: %v", err)
			}
			if err := st.Validate(); err != nil {
				t.Fatalf("in-toto Statement: %v", err)
			}
			if st.GetSubject()[0].GetDigest()["sha512"] != subj.Digest["sha512"] {
				t.Error("subject digest differs")
			}
			want, _ := PredicateType(format)
			if st.GetPredicateType() != want || len(st.GetPredicate().GetFields()) == 0 {
				t.Errorf("predicate %q with %d fields", st.GetPredicateType(), len(st.GetPredicate().GetFields()))
			}

			// And the independent verifier refuses a tampered payload.
			env.Payload = base64.StdEncoding.EncodeToString(append(payload[:len(payload)-1:len(payload)-1], ' ', '}'))
			if _, err := ev.Verify(context.Background(), &env); err == nil {
				t.Error("securesystemslib accepts a tampered payload")
			}
		})
	}
}
