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
		if len(acc) > 0 && !long && len(bytes.TrimSuffix(acc, []byte("\n"))) <= maxLine {
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

// eachLineBackward calls fn for every line of the first size bytes of r,
// last line first, reading at most budget bytes; lines longer than
// maxLine are skipped. fn returns false to stop. It returns the bytes
// read and whether it stopped on fn or reached the start of the input
// (false: the budget ran out first).
func eachLineBackward(r io.ReaderAt, size int64, maxLine int, budget int64, fn func(line []byte) bool) (read int64, done bool, err error) {
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	var carry []byte // the end of a line that starts before pos
	long := false    // the carried line is over maxLine: skip it
	emit := func(seg []byte) bool {
		line := seg
		if len(carry) > 0 {
			line = append(append(make([]byte, 0, len(seg)+len(carry)), seg...), carry...)
		}
		if long || len(line) > maxLine {
			return true
		}
		if line = bytes.TrimRight(line, "\r"); len(line) == 0 {
			return true
		}
		return fn(line)
	}
	for pos := size; pos > 0; {
		n := min(int64(chunk), pos, budget-read)
		if n <= 0 {
			return read, false, nil
		}
		b := buf[:n]
		if _, err := r.ReadAt(b, pos-n); err != nil && !errors.Is(err, io.EOF) {
			return read, false, err
		}
		pos -= n
		read += n
		end := len(b)
		for {
			i := bytes.LastIndexByte(b[:end], '\n')
			if i < 0 {
				break
			}
			if !emit(b[i+1 : end]) {
				return read, true, nil
			}
			carry, long = nil, false
			end = i
		}
		// b[:end] continues a line that starts further back.
		if !long {
			if end+len(carry) > maxLine {
				carry, long = nil, true
			} else {
				carry = append(append(make([]byte, 0, end+len(carry)), b[:end]...), carry...)
			}
		}
	}
	emit(nil)
	return read, true, nil
}
