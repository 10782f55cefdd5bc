package impact

import (
	"bytes"
	"io"
)

// CountKeys counts the keys in authorized_keys content: lines that are
// neither blank nor comments, up to 1 MiB.
func CountKeys(r io.Reader) (int, error) {
	n := 0
	_, err := eachLine(r, 64<<10, maxKeysFile, func(line []byte) bool {
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' {
			n++
		}
		return true
	})
	return n, err
}
