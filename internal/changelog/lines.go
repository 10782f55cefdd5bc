package changelog

import (
	"bufio"
	"io"
)

// lineReader reads newline-terminated lines bounded by MaxEntrySize.
type lineReader struct {
	br *bufio.Reader
}

func newLineReader(r io.Reader) *lineReader { return &lineReader{bufio.NewReaderSize(r, 64<<10)} }

// next returns the next line without its newline; complete is false for a
// final line without one. io.EOF means no more data.
func (l *lineReader) next() (line []byte, complete bool, err error) {
	var buf []byte
	for {
		chunk, err := l.br.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxEntrySize {
			return nil, false, errLineTooLong
		}
		buf = append(buf, chunk...)
		switch err {
		case nil:
			return buf[:len(buf)-1], true, nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			if len(buf) == 0 {
				return nil, false, io.EOF
			}
			return buf, false, nil
		default:
			return nil, false, err
		}
	}
}
