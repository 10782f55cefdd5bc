package drift

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/signing"
)

// fuzzKey is a fixed signing key: fuzz workers are separate processes, and
// a seed signed in one must verify in every other.
func fuzzKey(t testing.TB) *signing.Key {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	k, err := signing.ParsePrivate("fuzz", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// FuzzVerify loads arbitrary bytes as an approved snapshot: never a panic,
// every rejection is ErrTampered, and whatever verifies has the payload
// the key signed (only re-indenting a signed snapshot keeps it valid).
func FuzzVerify(f *testing.F) {
	k := fuzzKey(f)
	keys := signing.Keyring{}
	keys.Add(k.Public())
	s := &Snapshot{Target: "root:/x", Kind: "rootfs", ApprovedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Rules: []RuleState{{ID: "ssh.root", Status: result.Pass, Values: []Value{{Observed: "no", File: "/etc/ssh/sshd_config"}}}},
		Files: []FileState{{Path: "etc/ssh/sshd_config", Type: TypeFile, Mode: "0600", Size: 3, SHA256: "ab"}}}
	signed, digest, err := Sign(s, k)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed)
	var compact bytes.Buffer
	if err := json.Compact(&compact, signed); err != nil {
		f.Fatal(err)
	}
	f.Add(compact.Bytes())
	f.Add([]byte(`{"format":"` + LegacyFormat + `","key_id":"` + k.ID() + `","sig":"","payload":{}}`))
	f.Add([]byte(`{"format":"` + LegacyFormat + `","key_id":"x","sig":"AAAA","payload":[1,2,3]}`))
	f.Add([]byte("null"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, d, err := Verify("approved.json", data, keys)
		if err != nil {
			if !errors.Is(err, ErrTampered) {
				t.Fatalf("error %v is not ErrTampered", err)
			}
			return
		}
		if got == nil || d != digest {
			t.Fatalf("input that is not the signed snapshot verified: digest %s, want %s", d, digest)
		}
	})
}

// FuzzLoad reads an arbitrary approved.json from disk: errors, never a
// panic, and only the signed snapshot verifies.
func FuzzLoad(f *testing.F) {
	k := fuzzKey(f)
	keys := signing.Keyring{}
	keys.Add(k.Public())
	signed, digest, err := Sign(&Snapshot{Target: "root:/x"}, k)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed)
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ApprovedFile), data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, d, err := Load(dir, keys, "root:/x"); err == nil && d != digest {
			t.Fatalf("input that is not the signed snapshot loaded: digest %s", d)
		}
	})
}
