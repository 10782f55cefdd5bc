package envelope

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/cradle-cra/cradle/internal/signing"
)

func key(t testing.TB) *signing.Key {
	t.Helper()
	k, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestPAEMatchesTheSpecification(t *testing.T) {
	// The example of the DSSE protocol description.
	got := PAE("http://example.com/HelloWorld", []byte("hello world"))
	want := "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
	if string(got) != want {
		t.Fatalf("PAE = %q, want %q", got, want)
	}
}

func TestSignVerify(t *testing.T) {
	k, other, rogue := key(t), key(t), key(t)
	ring := signing.Keyring{}
	ring.Add(k.Public())
	ring.Add(other.Public())
	payload := []byte(`{"a":"<b> & c"}`)
	env, err := Sign(TypeRunRecord, payload, k)
	if err != nil {
		t.Fatal(err)
	}
	both, err := Sign(TypeRunRecord, payload, k, other)
	if err != nil {
		t.Fatal(err)
	}
	withRogue, err := Sign(TypeRunRecord, payload, k, rogue)
	if err != nil {
		t.Fatal(err)
	}
	tampered := *env
	tampered.Payload = "eyJhIjoiYiJ9" // {"a":"b"}
	badSig := *env
	badSig.Signatures = []Signature{{KeyID: k.ID(), Sig: both.Signatures[1].Sig}}
	for _, tc := range []struct {
		name    string
		env     *Envelope
		typ     string
		wantErr error
	}{
		{"single", env, TypeRunRecord, nil},
		{"co-signed", both, TypeRunRecord, nil},
		{"wrong type", env, TypeDriftSnapshot, ErrPayloadType},
		{"unknown key among good ones", withRogue, TypeRunRecord, ErrUnknownKey},
		{"payload replaced", &tampered, TypeRunRecord, ErrBadSignature},
		{"signature swapped", &badSig, TypeRunRecord, ErrBadSignature},
		{"unsigned", &Envelope{PayloadType: TypeRunRecord, Payload: env.Payload}, TypeRunRecord, ErrUnsigned},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, id, err := Verify(tc.env, tc.typ, ring)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err == nil && (!bytes.Equal(got, payload) || id != k.ID()) {
				t.Fatalf("payload %q key %s", got, id)
			}
		})
	}
}

// The stored form survives re-encoding of its JSON: only the payload is
// signed.
func TestReencodedEnvelopeVerifies(t *testing.T) {
	k := key(t)
	ring := signing.Keyring{}
	ring.Add(k.Public())
	env, _ := Sign(TypeDriftSnapshot, []byte(`{"x":1}`), k)
	compact, _ := Marshal(env)
	var indented bytes.Buffer
	json.Indent(&indented, compact, "", "    ")
	if !Is(indented.Bytes()) || Is([]byte(`{"format":"x"}`)) {
		t.Fatal("Is misclassifies")
	}
	back, err := Parse(indented.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Verify(back, TypeDriftSnapshot, ring); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{"payloadType":"x","payload":"","signatures":[],"extra":1}`, `{"payload":""}`, `{"payloadType":"x"} {}`} {
		if _, err := Parse([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%s) = %v", bad, err)
		}
	}
}

type edVerifier struct{ pub ed25519.PublicKey }

func (v edVerifier) Verify(_ context.Context, data, sig []byte) error {
	if !ed25519.Verify(v.pub, data, sig) {
		return errors.New("bad")
	}
	return nil
}
func (v edVerifier) KeyID() (string, error)   { return signing.KeyID(v.pub), nil }
func (v edVerifier) Public() crypto.PublicKey { return v.pub }

// Third parties verify cradle's envelopes with standard DSSE tooling and
// the exported public key.
func TestInteroperatesWithDSSEVerifier(t *testing.T) {
	k := key(t)
	env, _ := Sign(TypeChangeLogEntry, []byte(`{"seq":1}`), k)
	ev, err := dsse.NewEnvelopeVerifier(edVerifier{k.Public()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ev.Verify(context.Background(), env); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseVerify(f *testing.F) {
	k, _ := signing.Generate()
	ring := signing.Keyring{}
	ring.Add(k.Public())
	env, _ := Sign(TypeChangeLogEntry, []byte(`{"seq":1}`), k)
	b, _ := Marshal(env)
	f.Add(b)
	f.Add([]byte(`{"payloadType":"x","payload":"!!","signatures":[{"keyid":"","sig":"@"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse(data)
		if err != nil {
			return
		}
		p, id, err := Verify(e, e.PayloadType, ring)
		if err == nil && (id != k.ID() || p == nil && e.Payload != "") {
			t.Fatalf("verified with key %q", id)
		}
	})
}
