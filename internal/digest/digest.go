// Package digest formats content digests the one way cradle writes them
// everywhere (change log, snapshots, runs, OCI descriptors):
// "sha256:" followed by lower-case hex.
package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
)

// Prefix starts every digest string.
const Prefix = "sha256:"

// SHA256 returns the digest of b.
func SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return Prefix + hex.EncodeToString(s[:])
}

// Of formats the sum of a running sha256 hash.
func Of(h hash.Hash) string { return Prefix + hex.EncodeToString(h.Sum(nil)) }

// Hex returns the hex part of d (d itself when it has no prefix).
func Hex(d string) string { return strings.TrimPrefix(d, Prefix) }
