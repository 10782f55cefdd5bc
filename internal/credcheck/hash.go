// Package credcheck recognises crypt(3) password hashes from shadow(5) and
// tests them against well-known default passwords, so product images that
// ship with factory credentials are caught before they reach customers.
//
// Verification is pure Go: bcrypt through golang.org/x/crypto, MD5-crypt
// and SHA-crypt through github.com/GehirnInc/crypt, yescrypt (crypt(3)'s
// standard flavour) implemented here. Schemes without a verifier
// (gost-yescrypt, scrypt, DES, ...) are reported as skipped, never as
// verified.
package credcheck

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/GehirnInc/crypt"
	"github.com/GehirnInc/crypt/md5_crypt"
	"github.com/GehirnInc/crypt/sha256_crypt"
	"github.com/GehirnInc/crypt/sha512_crypt"
	"golang.org/x/crypto/bcrypt"
)

// Scheme names a password hashing scheme.
type Scheme string

// Schemes cradle recognises in the shadow password field.
const (
	SchemeNone        Scheme = ""            // empty, locked or invalid field
	SchemeMD5Crypt    Scheme = "md5crypt"    // $1$
	SchemeBcrypt      Scheme = "bcrypt"      // $2a$ $2b$ $2y$ $2x$
	SchemeSHA256Crypt Scheme = "sha256crypt" // $5$
	SchemeSHA512Crypt Scheme = "sha512crypt" // $6$
	SchemeYescrypt    Scheme = "yescrypt"    // $y$
	SchemeGostYes     Scheme = "gost-yescrypt"
	SchemeScrypt      Scheme = "scrypt" // $7$
	SchemeSunMD5      Scheme = "sunmd5"
	SchemeSHA1Crypt   Scheme = "sha1crypt" // $sha1$ (NetBSD)
	SchemeBSDIDES     Scheme = "bsdi-des"  // _
	SchemeDES         Scheme = "des"       // 13 characters, legacy
	SchemeUnknown     Scheme = "unknown"
)

// Info describes a shadow password field without revealing it.
type Info struct {
	Scheme Scheme
	// Empty: the field is empty, the account needs no password at all.
	Empty bool
	// Locked: the field starts with '!' or '*' (usermod -L, "*" or "!!"
	// placeholders); no password can log in.
	Locked bool
	// Usable: a well-formed hash a password could match (not locked, not
	// empty). Unknown formats are not usable: crypt(3) rejects them.
	Usable bool
}

// Classify inspects a shadow(5) password field.
func Classify(field string) Info {
	if field == "" {
		return Info{Empty: true}
	}
	h := field
	locked := false
	if strings.HasPrefix(h, "!") || strings.HasPrefix(h, "*") {
		locked = true
		h = strings.TrimLeft(h, "!*")
	}
	s := schemeOf(h)
	return Info{Scheme: s, Locked: locked, Usable: !locked && s != SchemeNone && s != SchemeUnknown}
}

func schemeOf(h string) Scheme {
	switch {
	case h == "":
		return SchemeNone
	case strings.HasPrefix(h, "$1$"):
		return SchemeMD5Crypt
	case strings.HasPrefix(h, "$2a$"), strings.HasPrefix(h, "$2b$"), strings.HasPrefix(h, "$2y$"), strings.HasPrefix(h, "$2x$"):
		return SchemeBcrypt
	case strings.HasPrefix(h, "$5$"):
		return SchemeSHA256Crypt
	case strings.HasPrefix(h, "$6$"):
		return SchemeSHA512Crypt
	case strings.HasPrefix(h, "$y$"):
		return SchemeYescrypt
	case strings.HasPrefix(h, "$gy$"):
		return SchemeGostYes
	case strings.HasPrefix(h, "$7$"):
		return SchemeScrypt
	case strings.HasPrefix(h, "$md5"):
		return SchemeSunMD5
	case strings.HasPrefix(h, "$sha1$"):
		return SchemeSHA1Crypt
	case strings.HasPrefix(h, "_") && len(h) == 20 && isCryptB64(h[1:]):
		return SchemeBSDIDES
	case len(h) == 13 && isCryptB64(h):
		return SchemeDES
	}
	return SchemeUnknown
}

func isCryptB64(s string) bool {
	for _, c := range s {
		if !(c == '.' || c == '/' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// Limits caps the work factor of hashes worth testing: a hash with a
// higher cost is skipped (and is unlikely to be a factory default anyway).
type Limits struct {
	MaxSHARounds  int // SHA-crypt rounds (crypt(3) default 5000)
	MaxBcryptCost int // bcrypt log2 cost (default 10 or 12)
	// MaxYescryptMemory bounds yescrypt's 128*N*r bytes (crypt(3)
	// default 16 MiB); time factors t above 2 are refused too.
	MaxYescryptMemory uint64
}

// DefaultLimits keeps one try around or under 100 ms on a small machine.
var DefaultLimits = Limits{MaxSHARounds: 100000, MaxBcryptCost: 11, MaxYescryptMemory: 64 << 20}

// ErrUnsupported: no verifier for the scheme.
var ErrUnsupported = errors.New("no verifier for this hash scheme")

// ErrTooCostly: the hash's work factor exceeds Limits.
var ErrTooCostly = errors.New("work factor above the configured limit")

// Supported reports whether hashes of s can be verified.
func Supported(s Scheme) bool {
	switch s {
	case SchemeMD5Crypt, SchemeBcrypt, SchemeSHA256Crypt, SchemeSHA512Crypt, SchemeYescrypt:
		return true
	}
	return false
}

// CheckCost returns ErrUnsupported or ErrTooCostly (wrapped, with the
// parameter) when hash cannot be tested within lim, nil otherwise.
func CheckCost(hash string, lim Limits) error {
	s := schemeOf(hash)
	if !Supported(s) {
		return fmt.Errorf("%s: %w", s, ErrUnsupported)
	}
	switch s {
	case SchemeBcrypt:
		c, err := bcrypt.Cost([]byte(hash))
		if err != nil {
			return fmt.Errorf("malformed bcrypt hash: %w", err)
		}
		if lim.MaxBcryptCost > 0 && c > lim.MaxBcryptCost {
			return fmt.Errorf("bcrypt cost %d: %w", c, ErrTooCostly)
		}
	case SchemeSHA256Crypt, SchemeSHA512Crypt:
		r := shaRounds(hash)
		if r < 0 {
			return fmt.Errorf("malformed %s hash", s)
		}
		if lim.MaxSHARounds > 0 && r > lim.MaxSHARounds {
			return fmt.Errorf("%s rounds %d: %w", s, r, ErrTooCostly)
		}
	case SchemeYescrypt:
		p, err := parseYescrypt(hash)
		if err != nil {
			return err
		}
		if lim.MaxYescryptMemory > 0 && (p.memory() > lim.MaxYescryptMemory || uint64(p.p) > 16 || p.t > 2) {
			return fmt.Errorf("yescrypt N=%d r=%d p=%d t=%d: %w", p.N, p.r, p.p, p.t, ErrTooCostly)
		}
	}
	return nil
}

// shaRounds parses the rounds= parameter of a SHA-crypt hash: 5000 when
// absent, clamped like crypt(3) does, -1 when malformed.
func shaRounds(hash string) int {
	parts := strings.Split(hash, "$")
	if len(parts) < 4 {
		return -1
	}
	p, ok := strings.CutPrefix(parts[2], "rounds=")
	if !ok {
		return 5000
	}
	r, err := strconv.Atoi(p)
	if err != nil || r < 0 {
		return -1
	}
	return min(max(r, 1000), 999999999)
}

// Verify reports whether password matches hash. The caller checks
// CheckCost first; Verify itself does not bound the work.
func Verify(hash, password string) (ok bool, err error) {
	// The third-party verifiers were not written for hostile input;
	// a malformed hash must not take the scan down.
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("malformed hash: %v", r)
		}
	}()
	var c crypt.Crypter
	switch schemeOf(hash) {
	case SchemeBcrypt:
		err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, nil
		}
		return err == nil, err
	case SchemeMD5Crypt:
		c = md5_crypt.New()
	case SchemeSHA256Crypt:
		c = sha256_crypt.New()
	case SchemeSHA512Crypt:
		c = sha512_crypt.New()
	case SchemeYescrypt:
		return verifyYescrypt(hash, password)
	default:
		return false, ErrUnsupported
	}
	// Generate from the setting alone ("$6$rounds=N$salt"): handed the
	// whole hash, the library misreads salts shorter than 16 characters
	// that follow a rounds= parameter.
	i := strings.LastIndexByte(hash, '$')
	if i < 3 {
		return false, errors.New("malformed hash")
	}
	got, err := c.Generate([]byte(password), []byte(hash[:i]))
	if err != nil {
		return false, fmt.Errorf("malformed hash: %w", err)
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(hash)) == 1, nil
}
