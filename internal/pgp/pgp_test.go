package pgp

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/pgp/pgptest"
)

var now = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

func TestGeneratedKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	k, err := LoadOrCreate(dir, "Example GmbH", "psirt@example.com", now)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, GeneratedFile))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", fi.Mode().Perm())
	}
	again, err := LoadOrCreate(dir, "Other", "x@example.com", now)
	if err != nil {
		t.Fatal(err)
	}
	if again.Fingerprint() != k.Fingerprint() || len(k.Fingerprint()) != 40 {
		t.Errorf("fingerprints %s, %s: the key is generated once", k.Fingerprint(), again.Fingerprint())
	}
	if got := k.UserID(); got != "Example GmbH (CSAF signing key) <psirt@example.com>" {
		t.Errorf("user id %q", got)
	}
	data := []byte(`{"document":{}}` + "\n")
	sig, err := k.DetachSign(data, now)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := k.PublicArmored()
	if err != nil {
		t.Fatal(err)
	}
	if fp, err := Verify([][]byte{pub}, data, sig); err != nil || fp != k.Fingerprint() {
		t.Errorf("verify: %s %v", fp, err)
	}
	if _, err := Verify([][]byte{pub}, append(data, ' '), sig); err == nil {
		t.Error("a tampered file verifies")
	}
	if err := os.Chmod(filepath.Join(dir, GeneratedFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if _, err := LoadOrCreate(dir, "Example GmbH", "psirt@example.com", now); err == nil || !strings.Contains(err.Error(), "group or others") {
			t.Errorf("readable key accepted: %v", err)
		}
	}
}

// TestGPG is the differential test against GnuPG: gpg accepts cradle's
// detached and cleartext signatures and rejects a tampered file; cradle
// signs with a passphrase-protected key that gpg generated.
func TestGPG(t *testing.T) {
	g := pgptest.New(t)
	dir := t.TempDir()
	k, err := LoadOrCreate(filepath.Join(dir, "keys"), "Example GmbH", "psirt@example.com", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := k.PublicArmored()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	g.Import(write("pub.asc", pub))
	data := []byte("{\n  \"document\": {}\n}\n")
	sig, err := k.DetachSign(data, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	doc, asc := write("doc.json", data), write("doc.json.asc", sig)
	if out, err := g.Run("--verify", asc, doc); err != nil || !strings.Contains(out, "Good signature") {
		t.Errorf("gpg --verify: %v\n%s", err, out)
	}
	write("doc.json", append([]byte(" "), data...))
	if out, err := g.Run("--verify", asc, doc); err == nil {
		t.Errorf("gpg accepted a tampered file:\n%s", out)
	}
	txt := []byte("Contact: mailto:psirt@example.com\nExpires: 2027-12-04T10:00:00Z\n-dash line\n")
	cs, err := k.ClearSign(txt, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if out, err := g.Run("--verify", write("security.txt", cs)); err != nil || !strings.Contains(out, "Good signature") {
		t.Errorf("gpg --verify cleartext: %v\n%s\n%s", err, out, cs)
	}
	if out, err := g.Run("--output", filepath.Join(dir, "plain.txt"), "--decrypt", filepath.Join(dir, "security.txt")); err != nil {
		t.Errorf("gpg --decrypt: %v\n%s", err, out)
	} else if b, _ := os.ReadFile(filepath.Join(dir, "plain.txt")); string(b) != string(txt) {
		t.Errorf("cleartext round trip:\n%q\nwant\n%q", b, txt)
	}

	// An organisation key made by gpg, passphrase-protected.
	if out, err := g.Run("--pinentry-mode", "loopback", "--passphrase", "s3cret", "--quick-gen-key", "Org PSIRT <psirt@org.example>", "ed25519", "sign", "never"); err != nil {
		t.Fatalf("gpg --quick-gen-key: %v\n%s", err, out)
	}
	out, err := g.Run("--pinentry-mode", "loopback", "--passphrase", "s3cret", "--armor", "--export-secret-keys", "psirt@org.example")
	if err != nil {
		t.Fatalf("gpg --export-secret-keys: %v", err)
	}
	keyFile := write("org.asc", []byte(out))
	if _, err := Load(keyFile, nil); err == nil || !strings.Contains(err.Error(), EnvPassphrase) {
		t.Errorf("encrypted key without passphrase: %v", err)
	}
	if _, err := Load(keyFile, []byte("wrong")); err == nil {
		t.Error("wrong passphrase accepted")
	}
	org, err := Load(keyFile, []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	sig, err = org.DetachSign(data, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	write("doc.json", data)
	write("doc.json.asc", sig)
	if out, err := g.Run("--verify", asc, doc); err != nil || !strings.Contains(out, "Good signature") || !strings.Contains(out, "Org PSIRT") {
		t.Errorf("gpg --verify (organisation key): %v\n%s", err, out)
	}
	// A key too weak for CSAF requirement 20 is refused.
	if out, err := g.Run("--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", "Weak <weak@org.example>", "rsa2048", "sign", "never"); err != nil {
		t.Fatalf("gpg --quick-gen-key rsa2048: %v\n%s", err, out)
	}
	if out, err = g.Run("--pinentry-mode", "loopback", "--passphrase", "", "--armor", "--export-secret-keys", "weak@org.example"); err != nil {
		t.Fatalf("gpg --export-secret-keys: %v", err)
	}
	if _, err := Load(write("weak.asc", []byte(out)), nil); err == nil || !strings.Contains(err.Error(), "3072") {
		t.Errorf("RSA-2048 key: %v", err)
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(keyFile, 0o640); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(keyFile, []byte("s3cret")); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("group-readable key accepted: %v", err)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	k, err := LoadOrCreate(dir, "Example GmbH", "psirt@example.com", now)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := k.PublicArmored()
	for name, b := range map[string][]byte{"public": pub, "empty": nil, "junk": []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----\nxx\n")} {
		if _, err := Parse(name, b, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	// A fixed public key (testdata/public.asc): the fuzz workers start
	// without generating keys.
	pub, err := os.ReadFile(filepath.Join("testdata", "public.asc"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pub)
	f.Add([]byte("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n=AAAA\n-----END PGP PRIVATE KEY BLOCK-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// No passphrase: decrypting would run the key's own S2K (Argon2
		// memory up to 2^31 KiB), trusted from the organisation's file.
		_, _ = Parse("fuzz", b, nil)
	})
}
