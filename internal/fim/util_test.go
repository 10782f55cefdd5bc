package fim

import (
	"crypto/sha256"
	"encoding/hex"
	"github.com/cradle-cra/cradle/internal/signing"
)

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

type keyT = *signing.Key

func signingGenerate() (*signing.Key, error) { return signing.Generate() }
