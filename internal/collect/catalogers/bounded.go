package catalogers

import (
	"fmt"

	"github.com/BurntSushi/toml"
)

// maxNesting bounds how deeply brackets and braces may nest in a file
// handed to a recursive parser: the TOML parser recurses per level, and
// a hostile file of millions of "[" would overflow the stack, a crash no
// recover catches. Real lockfiles nest a handful of levels.
const maxNesting = 256

// nestingOK reports whether b's brackets and braces nest at most
// maxNesting deep. Brackets inside strings are counted too: that only
// rejects files no package tool writes.
func nestingOK(b []byte) bool {
	depth := 0
	for _, c := range b {
		switch c {
		case '[', '{':
			depth++
			if depth > maxNesting {
				return false
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return true
}

// tomlDecode decodes a TOML document after the nesting check.
func tomlDecode(b []byte, v any) error {
	if !nestingOK(b) {
		return fmt.Errorf("brackets nest more than %d deep", maxNesting)
	}
	_, err := toml.Decode(string(b), v)
	return err
}
