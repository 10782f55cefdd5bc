// Package signing manages the ed25519 keys cradle signs its change log (and
// later snapshots) with. A key is generated on first use under
// $CRADLE_HOME/keys with owner-only permissions, or loaded from a path the
// operator gives. Private key files that group or others can access are
// refused. Errors never include key material.
package signing

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/fileutil"
)

const (
	// PrivateFile and PublicFile are the generated key pair's names in the
	// keys directory.
	PrivateFile = "signing.key"
	PublicFile  = "signing.pub"
	// EnvKey names a private key file to use instead of the generated one.
	EnvKey = "CRADLE_SIGNING_KEY"

	maxKeyFile = 64 << 10
)

// Key is a private signing key.
type Key struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	id   string
}

// ID is the key id: the first 16 hex digits of sha256(public key).
func (k *Key) ID() string { return k.id }

// Public returns the public half.
func (k *Key) Public() ed25519.PublicKey { return k.pub }

// Sign signs msg.
func (k *Key) Sign(msg []byte) []byte { return ed25519.Sign(k.priv, msg) }

// String never prints key material.
func (k *Key) String() string { return "ed25519 key " + k.id }

// KeyID derives the id of a public key.
func KeyID(pub ed25519.PublicKey) string {
	s := sha256.Sum256(pub)
	return hex.EncodeToString(s[:8])
}

// Generate creates a new random key.
func Generate() (*Key, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	return &Key{priv: priv, pub: pub, id: KeyID(pub)}, nil
}

// MarshalPrivate encodes k as PEM PKCS#8.
func MarshalPrivate(k *Key) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublic encodes pub as PEM PKIX.
func MarshalPublic(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePrivate decodes a PEM PKCS#8 ed25519 private key. name is used in
// errors only.
func ParsePrivate(name string, b []byte) (*Key, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: not a PEM \"PRIVATE KEY\" (PKCS#8) file", name)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid PKCS#8 private key", name) // the parser error may quote bytes
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an ed25519 key (%T)", name, k)
	}
	pub := priv.Public().(ed25519.PublicKey)
	return &Key{priv: priv, pub: pub, id: KeyID(pub)}, nil
}

// ParsePublic decodes a PEM PKIX ed25519 public key.
func ParsePublic(name string, b []byte) (ed25519.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("%s: not a PEM \"PUBLIC KEY\" file", name)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid public key: %w", name, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an ed25519 public key (%T)", name, k)
	}
	return pub, nil
}

// ErrInsecureKeyFile is returned for a private key file that group or
// others can access.
var ErrInsecureKeyFile = errors.New("private key file is accessible by group or others")

// LoadPrivate reads a private key file, refusing one that group or others
// can access (on systems with POSIX permissions).
func LoadPrivate(path string) (*Key, error) {
	// Opened without blocking: a FIFO given as --key is refused, not waited on.
	f, fi, err := fileutil.OpenNonblock(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	defer f.Close()
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("signing key: %w", fileutil.NotRegularError(path, fi.Mode()))
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("signing key %s (mode %04o): %w; run: chmod 600 %s",
			path, fi.Mode().Perm(), ErrInsecureKeyFile, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("signing key %s: larger than %d bytes", path, maxKeyFile)
	}
	return ParsePrivate(path, b)
}

// LoadPublic reads a public key file.
func LoadPublic(path string) (ed25519.PublicKey, error) {
	b, err := fileutil.ReadBounded(path, maxKeyFile)
	if err != nil {
		return nil, err
	}
	return ParsePublic(path, b)
}

// LoadOrCreate returns the key in dir (PrivateFile), generating it on first
// use. dir is created 0700. Concurrent first uses agree on one key: the new
// key is linked into place only if none exists yet.
func LoadOrCreate(dir string) (*Key, error) {
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, PrivateFile)
	k, err := LoadPrivate(path)
	if err == nil {
		return k, ensurePublic(dir, PublicFile, k)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	k, err = Generate()
	if err != nil {
		return nil, err
	}
	pemBytes, err := MarshalPrivate(k)
	if err != nil {
		return nil, err
	}
	if err := createExclusive(path, pemBytes); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process won the race; use its key.
			k, err := LoadPrivate(path)
			if err != nil {
				return nil, err
			}
			return k, ensurePublic(dir, PublicFile, k)
		}
		return nil, err
	}
	return k, ensurePublic(dir, PublicFile, k)
}

// Resolve picks the signing key: path when set (an operator-supplied key,
// whose public half is recorded in dir as <id>.pub so verification finds
// it), else the generated key in dir.
func Resolve(dir, path string) (*Key, error) {
	if path == "" {
		return LoadOrCreate(dir)
	}
	k, err := LoadPrivate(path)
	if err != nil {
		return nil, err
	}
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	return k, ensurePublic(dir, k.id+".pub", k)
}

func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keys directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("keys directory: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("keys directory %s is accessible by group or others (mode %04o); run: chmod 700 %s",
			dir, fi.Mode().Perm(), dir)
	}
	return nil
}

// ensurePublic writes k's public key as dir/name unless an identical one is
// there.
func ensurePublic(dir, name string, k *Key) error {
	p := filepath.Join(dir, name)
	if pub, err := LoadPublic(p); err == nil {
		if pub.Equal(k.pub) {
			return nil
		}
		// The key was replaced: keep the old public key trusted so the
		// entries it signed still verify.
		old := filepath.Join(dir, KeyID(pub)+".pub")
		if _, err := os.Stat(old); errors.Is(err, fs.ErrNotExist) {
			if err := os.Rename(p, old); err != nil {
				return fmt.Errorf("keep previous public key: %w", err)
			}
		}
	}
	b, err := MarshalPublic(k.pub)
	if err != nil {
		return err
	}
	return fileutil.WriteAtomic(p, b, 0o644)
}

// createExclusive writes data to a temporary file, syncs it and links it to
// path, failing with fs.ErrExist if path exists: never a partial key file,
// never an overwritten one.
func createExclusive(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write signing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err = tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write signing key: %w", err)
	}
	if _, err = tmp.Write(data); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write signing key: %w", err)
	}
	if err = os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fs.ErrExist
		}
		return fmt.Errorf("write signing key: %w", err)
	}
	syncDir(dir)
	return nil
}

// Keyring holds the public keys trusted for verification, by key id.
type Keyring map[string]ed25519.PublicKey

// Add trusts pub.
func (r Keyring) Add(pub ed25519.PublicKey) { r[KeyID(pub)] = pub }

// IDs lists the key ids, sorted.
func (r Keyring) IDs() []string {
	ids := make([]string, 0, len(r))
	for id := range r {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Verify checks sig over msg with the key keyID. ok is false for an
// unknown key or a bad signature; known tells which.
func (r Keyring) Verify(keyID string, msg, sig []byte) (known, ok bool) {
	pub, known := r[keyID]
	if !known {
		return false, false
	}
	return true, ed25519.Verify(pub, msg, sig)
}

// LoadKeyring trusts every *.pub file in dir. A missing dir is an empty
// keyring; an unparsable .pub file is an error.
func LoadKeyring(dir string) (Keyring, error) {
	r := Keyring{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return r, nil
		}
		return nil, fmt.Errorf("keys directory: %w", err)
	}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".pub") {
			continue
		}
		pub, err := LoadPublic(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		r.Add(pub)
	}
	return r, nil
}
