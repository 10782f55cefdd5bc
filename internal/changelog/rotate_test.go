package changelog

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"

	"github.com/cradle-cra/cradle/internal/signing"
)

func TestRecordKeyRotation(t *testing.T) {
	old, next := testKey(t), testKey(t)
	a := newLog(t, old)
	appendN(t, a, 2)
	b := newLog(t, old)
	b.Dir, b.Target = a.Dir, "host"
	appendN(t, b, 1)
	base := Log{Dir: a.Dir, Keys: keyring(old, next), Now: a.Now, User: a.User}
	got, err := RecordKeyRotation(context.Background(), base, old, next, Entry{Reason: "yearly"})
	if err != nil || len(got) != 2 {
		t.Fatalf("RecordKeyRotation = %v, %v", got, err)
	}
	a.Signer, a.Keys = next, keyring(old)
	appendN(t, a, 1)
	if s, err := a.Verify(keyring(old, next)); err != nil || s.Entries != 4 {
		t.Fatalf("after rotation: %+v, %v", s, err)
	}
	base.RequireChangeRef = true
	if _, err := RecordKeyRotation(context.Background(), base, next, old, Entry{}); !errors.Is(err, ErrChangeRefRequired) {
		t.Fatalf("policy: %v", err)
	}
}

// A key-rotate entry naming a new key it is not co-signed by does not
// vouch for that key.
func TestRotationEntryMustBeCosigned(t *testing.T) {
	old, next := testKey(t), testKey(t)
	l := newLog(t, old)
	appendN(t, l, 1)
	pem, _ := marshalPub(next)
	d, _ := json.Marshal(RotationDetails{OldKey: old.ID(), NewKey: next.ID(), NewPublicKey: pem})
	if _, err := l.Append(context.Background(), Entry{Action: ActionKeyRotate, Details: d}); err != nil {
		t.Fatal(err)
	}
	var p *Problem
	if _, err := l.Verify(keyring(old, next)); !errors.As(err, &p) || p.Seq != 2 || p.Kind != KindSignature {
		t.Fatalf("Verify = %v", err)
	}
}

func marshalPub(k interface{ Public() ed25519.PublicKey }) (string, error) {
	b, err := signing.MarshalPublic(k.Public())
	return string(b), err
}
