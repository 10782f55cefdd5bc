package impact

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// eachLine calls fn for every line of r (without the newline), reading at
// most maxBytes and skipping lines longer than maxLine instead of failing:
// a log with one garbage line must not hide the rest. fn returns false to
// stop. It reports whether the byte limit cut the input short.
func eachLine(r io.Reader, maxLine int, maxBytes int64, fn func(line []byte) bool) (truncated bool, err error) {
	lr := &io.LimitedReader{R: r, N: maxBytes + 1}
	br := bufio.NewReaderSize(lr, 64<<10)
	var long bool // inside an over-long line
	var acc []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			switch {
			case long:
			case len(acc)+len(chunk) > maxLine+1:
				long, acc = true, acc[:0]
			default:
				acc = append(acc, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(acc) > 0 && !long {
			line := bytes.TrimRight(acc, "\r\n")
			if !fn(line) {
				return false, nil
			}
		}
		acc, long = acc[:0], false
		if err != nil {
			if errors.Is(err, io.EOF) {
				return lr.N <= 0, nil
			}
			return false, err
		}
	}
}
