// Package pgp signs files with an OpenPGP key: detached armored
// signatures (<file>.asc, as CSAF 2.0 requirement 19 asks) and cleartext
// signatures (security.txt, RFC 9116 section 2.3). The key is either the
// organisation's armored private key or one cradle generates once in its
// keys directory.
package pgp

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/cradle-cra/cradle/internal/fileutil"
)

// EnvPassphrase names the environment variable holding the passphrase of
// an encrypted key. It is read, never logged.
const EnvPassphrase = "CRADLE_OPENPGP_PASSPHRASE"

// GeneratedFile is the name of the key cradle generates in its keys
// directory.
const GeneratedFile = "openpgp-private.asc"

// maxKeyFile bounds a key file: an armored key with a few subkeys and
// certifications is a few KiB.
const maxKeyFile = 1 << 20

// ErrInsecureKeyFile is returned for a private key file that group or
// others can access.
var ErrInsecureKeyFile = errors.New("private key file is accessible by group or others")

// Key is an OpenPGP private key able to sign.
type Key struct {
	e *openpgp.Entity
}

// config makes SHA-512 signatures (accepted by every OpenPGP v4 peer).
func config(now time.Time) *packet.Config {
	return &packet.Config{DefaultHash: crypto.SHA512, Time: func() time.Time { return now }}
}

// Parse reads an armored (or binary) private key: exactly one key whose
// secret parts are present, decrypted with passphrase when encrypted.
func Parse(name string, b, passphrase []byte) (*Key, error) {
	var el openpgp.EntityList
	var err error
	if bytes.Contains(b, []byte("-----BEGIN PGP")) {
		el, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(b))
	} else {
		el, err = openpgp.ReadKeyRing(bytes.NewReader(b))
	}
	if err != nil {
		return nil, fmt.Errorf("openpgp key %s: %w", name, err)
	}
	if len(el) != 1 {
		return nil, fmt.Errorf("openpgp key %s: %d keys in the file, want one", name, len(el))
	}
	e := el[0]
	if e.PrivateKey == nil {
		return nil, fmt.Errorf("openpgp key %s: a public key; the private key is needed to sign", name)
	}
	if encrypted(e) {
		if len(passphrase) == 0 {
			return nil, fmt.Errorf("openpgp key %s is encrypted: set %s to its passphrase", name, EnvPassphrase)
		}
		if err := e.DecryptPrivateKeys(passphrase); err != nil {
			return nil, fmt.Errorf("openpgp key %s: wrong passphrase in %s or unreadable key: %w", name, EnvPassphrase, err)
		}
	}
	sk, ok := e.SigningKey(time.Now())
	if !ok {
		return nil, fmt.Errorf("openpgp key %s: no valid signing key (expired, revoked or not signing-capable)", name)
	}
	// CSAF requirement 20 asks for a key of a strength considered secure.
	switch sk.PublicKey.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly:
		if bits, err := sk.PublicKey.BitLength(); err != nil || bits < 3072 {
			return nil, fmt.Errorf("openpgp key %s: RSA key of %d bits; use at least 3072 bits or Ed25519", name, bits)
		}
	case packet.PubKeyAlgoDSA:
		return nil, fmt.Errorf("openpgp key %s: DSA keys are deprecated; use Ed25519 or RSA (3072 bits or more)", name)
	}
	return &Key{e: e}, nil
}

func encrypted(e *openpgp.Entity) bool {
	if e.PrivateKey != nil && e.PrivateKey.Encrypted {
		return true
	}
	for _, s := range e.Subkeys {
		if s.PrivateKey != nil && s.PrivateKey.Encrypted {
			return true
		}
	}
	return false
}

// Load reads the organisation's private key file, refusing one that group
// or others can access (on systems with POSIX permissions).
func Load(path string, passphrase []byte) (*Key, error) {
	f, fi, err := fileutil.OpenNonblock(path)
	if err != nil {
		return nil, fmt.Errorf("openpgp key: %w", err)
	}
	defer f.Close()
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("openpgp key: %w", fileutil.NotRegularError(path, fi.Mode()))
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("openpgp key %s (mode %04o): %w; run: chmod 600 %s", path, fi.Mode().Perm(), ErrInsecureKeyFile, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("openpgp key %s: %w", path, err)
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("openpgp key %s: larger than %d bytes", path, maxKeyFile)
	}
	return Parse(path, b, passphrase)
}

// LoadOrCreate returns the key cradle generated in dir (GeneratedFile),
// generating an Ed25519 (EdDSA, OpenPGP v4) key for the user id
// "name <email>" when there is none. dir must not be accessible by group
// or others; the key file is written 0600.
func LoadOrCreate(dir, name, email string, now time.Time) (*Key, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys directory: %w", err)
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("keys directory: %w", err)
	} else if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("keys directory %s is accessible by group or others (mode %04o); run: chmod 700 %s", dir, fi.Mode().Perm(), dir)
	}
	p := filepath.Join(dir, GeneratedFile)
	if _, err := os.Lstat(p); err == nil {
		return Load(p, nil)
	}
	cfg := config(now)
	cfg.Algorithm = packet.PubKeyAlgoEdDSA
	cfg.Curve = packet.Curve25519
	e, err := openpgp.NewEntity(name, "CSAF signing key", email, cfg)
	if err != nil {
		return nil, fmt.Errorf("generate openpgp key: %w", err)
	}
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PrivateKeyType, nil)
	if err != nil {
		return nil, err
	}
	if err := e.SerializePrivate(w, cfg); err != nil {
		return nil, fmt.Errorf("serialize openpgp key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\n")
	if err := fileutil.WriteAtomic(p, b.Bytes(), 0o600); err != nil {
		return nil, fmt.Errorf("write openpgp key: %w", err)
	}
	return &Key{e: e}, nil
}

// Fingerprint is the primary key's fingerprint, upper-case hex (40
// digits for a v4 key).
func (k *Key) Fingerprint() string {
	return strings.ToUpper(hex.EncodeToString(k.e.PrimaryKey.Fingerprint))
}

// UserID is the primary user id ("" when there is none).
func (k *Key) UserID() string {
	if id := k.e.PrimaryIdentity(); id != nil {
		return id.Name
	}
	return ""
}

// PublicArmored is the armored public key (transferable public key).
func (k *Key) PublicArmored() ([]byte, error) {
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	if err != nil {
		return nil, err
	}
	if err := k.e.Serialize(w); err != nil {
		return nil, fmt.Errorf("serialize openpgp public key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\n")
	return b.Bytes(), nil
}

// DetachSign is an armored detached binary signature of data.
func (k *Key) DetachSign(data []byte, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&b, k.e, bytes.NewReader(data), config(now)); err != nil {
		return nil, fmt.Errorf("openpgp sign: %w", err)
	}
	b.WriteString("\n")
	return b.Bytes(), nil
}

// ClearSign is text with an OpenPGP cleartext signature.
func (k *Key) ClearSign(text []byte, now time.Time) ([]byte, error) {
	sk, ok := k.e.SigningKey(now)
	if !ok {
		return nil, errors.New("openpgp sign: no valid signing key")
	}
	var b bytes.Buffer
	w, err := clearsign.Encode(&b, sk.PrivateKey, config(now))
	if err != nil {
		return nil, fmt.Errorf("openpgp clearsign: %w", err)
	}
	// The line break before the signature is not part of the signed text
	// (RFC 9580 section 7.1): the text's own final line break is left
	// out, as gpg --clearsign does, so what is verified is the file.
	if _, err := w.Write(bytes.TrimSuffix(text, []byte("\n"))); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("openpgp clearsign: %w", err)
	}
	// The signature block is armored again with the CRC-24 line: GnuPG
	// 2.2 (Debian 12) does not find the end of a cleartext signature
	// without it.
	blk, _ := clearsign.Decode(b.Bytes())
	i := bytes.Index(b.Bytes(), []byte("\n-----BEGIN PGP SIGNATURE-----"))
	if blk == nil || i < 0 {
		return nil, errors.New("openpgp clearsign: unreadable output")
	}
	sig, err := io.ReadAll(blk.ArmoredSignature.Body)
	if err != nil {
		return nil, fmt.Errorf("openpgp clearsign: %w", err)
	}
	out := bytes.NewBuffer(append([]byte(nil), b.Bytes()[:i+1]...))
	aw, err := armor.EncodeWithChecksumOption(out, "PGP SIGNATURE", nil, true)
	if err != nil {
		return nil, err
	}
	if _, err := aw.Write(sig); err != nil {
		return nil, err
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	out.WriteString("\n")
	return out.Bytes(), nil
}

// Verify checks an armored detached signature of data against the armored
// public keys; it returns the signer's fingerprint.
func Verify(publicKeys [][]byte, data, sig []byte) (string, error) {
	var ring openpgp.EntityList
	for _, pk := range publicKeys {
		el, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(pk))
		if err != nil {
			return "", fmt.Errorf("openpgp public key: %w", err)
		}
		ring = append(ring, el...)
	}
	e, err := openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(data), bytes.NewReader(sig), nil)
	if err != nil {
		return "", err
	}
	return strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint)), nil
}
