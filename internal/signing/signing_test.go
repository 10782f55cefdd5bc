package signing

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	k1, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1.ID()) != 16 {
		t.Fatalf("key id %q", k1.ID())
	}
	if runtime.GOOS != "windows" {
		for p, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, PrivateFile): 0o600} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s: mode %04o, want %04o", p, fi.Mode().Perm(), want)
			}
		}
	}
	k2, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k1.ID() != k2.ID() {
		t.Fatalf("second use generated a new key: %s vs %s", k1.ID(), k2.ID())
	}
	pub, err := LoadPublic(filepath.Join(dir, PublicFile))
	if err != nil || !pub.Equal(k1.Public()) {
		t.Fatalf("public key beside the private key: %v", err)
	}
	r, err := LoadKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("m")
	if known, ok := r.Verify(k1.ID(), msg, k1.Sign(msg)); !known || !ok {
		t.Fatal("keyring does not verify the generated key's signature")
	}
	if known, _ := r.Verify("0000000000000000", msg, k1.Sign(msg)); known {
		t.Fatal("unknown key id reported known")
	}
	if s := k1.String(); !strings.Contains(s, k1.ID()) || len(s) > 40 {
		t.Fatalf("String() = %q", s)
	}
}

func TestLoadOrCreateConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	const n = 8
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := LoadOrCreate(dir)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = k.ID()
		}()
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("concurrent first uses disagree on the key: %v", ids)
		}
	}
}

func TestLoadPrivatePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX permissions")
	}
	k, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	b, err := MarshalPrivate(k)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode os.FileMode
		ok   bool
	}{
		{0o600, true},
		{0o400, true},
		{0o640, false},
		{0o604, false},
		{0o660, false},
		{0o644, false},
	}
	for _, tc := range tests {
		t.Run(tc.mode.String(), func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "k.pem")
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tc.mode); err != nil {
				t.Fatal(err)
			}
			got, err := LoadPrivate(p)
			if tc.ok {
				if err != nil || got.ID() != k.ID() {
					t.Fatalf("LoadPrivate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInsecureKeyFile) {
				t.Fatalf("want ErrInsecureKeyFile, got %v", err)
			}
			if strings.Contains(err.Error(), "PRIVATE") || bytes.Contains([]byte(err.Error()), b[30:60]) {
				t.Fatalf("error leaks key material: %v", err)
			}
		})
	}
}

func TestResolveExternalKey(t *testing.T) {
	k, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := MarshalPrivate(k)
	p := filepath.Join(t.TempDir(), "ext.key")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "keys")
	got, err := Resolve(dir, p)
	if err != nil || got.ID() != k.ID() {
		t.Fatalf("Resolve: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, PrivateFile)); err == nil {
		t.Fatal("an explicit key must not generate one")
	}
	r, err := LoadKeyring(dir)
	if err != nil || r[k.ID()] == nil {
		t.Fatalf("external public key not recorded: %v %v", r.IDs(), err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string][]byte{
		"empty":     nil,
		"not pem":   []byte("hello"),
		"wrong pem": []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
		"garbage":   []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParsePrivate("x", b); err == nil {
				t.Fatal("want error")
			}
			if _, err := ParsePublic("x", b); err == nil {
				t.Fatal("want error")
			}
		})
	}
}

func TestLoadKeyringBadFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.pub"), []byte("nope"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyring(dir); err == nil {
		t.Fatal("want error for an unparsable .pub")
	}
	r, err := LoadKeyring(filepath.Join(dir, "missing"))
	if err != nil || len(r) != 0 {
		t.Fatalf("missing dir: %v %v", r, err)
	}
}

func FuzzParse(f *testing.F) {
	k, _ := Generate()
	b, _ := MarshalPrivate(k)
	pb, _ := MarshalPublic(k.Public())
	f.Add(b)
	f.Add(pb)
	f.Fuzz(func(t *testing.T, b []byte) {
		ParsePrivate("f", b)
		ParsePublic("f", b)
	})
}

func TestRotationKeepsOldPublicKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	k1, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Replace the private key, as an operator rotating it would.
	k2, _ := Generate()
	b, _ := MarshalPrivate(k2)
	if err := os.WriteFile(filepath.Join(dir, PrivateFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadOrCreate(dir)
	if err != nil || got.ID() != k2.ID() {
		t.Fatalf("LoadOrCreate after rotation: %v", err)
	}
	r, err := LoadKeyring(dir)
	if err != nil || r[k1.ID()] == nil || r[k2.ID()] == nil {
		t.Fatalf("keyring after rotation: %v %v", r.IDs(), err)
	}
}
