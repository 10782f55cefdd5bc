package digest

import (
	"crypto/sha256"
	"testing"
)

func TestDigestForms(t *testing.T) {
	const empty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if got := SHA256(nil); got != empty {
		t.Errorf("SHA256(nil) = %s", got)
	}
	if got := Of(sha256.New()); got != empty {
		t.Errorf("Of(empty hash) = %s", got)
	}
	if got := Hex(empty); got != empty[len(Prefix):] {
		t.Errorf("Hex = %s", got)
	}
}
