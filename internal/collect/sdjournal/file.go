package sdjournal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Limits bound the work done on journal files; zero fields take the
// defaults. Bytes and Objects are shared by every file one Reader opens.
type Limits struct {
	Bytes     int64 // bytes read from journal files in all
	Objects   int64 // objects and references visited in all
	Entries   int   // entries returned in all
	FieldSize int   // bytes of one field, after decompression; larger fields are skipped
	Files     int   // journal files read (Read only)
}

// Defaults: the index makes a search cheap, so the byte budget is reached
// only by a window with a very large number of matching entries.
const (
	DefaultBytes     = 512 << 20
	DefaultObjects   = 16 << 20
	DefaultEntries   = 50000
	DefaultFieldSize = 64 << 10
	DefaultFiles     = 128
)

func (l Limits) norm() Limits {
	if l.Bytes <= 0 {
		l.Bytes = DefaultBytes
	}
	if l.Objects <= 0 {
		l.Objects = DefaultObjects
	}
	if l.Entries <= 0 {
		l.Entries = DefaultEntries
	}
	if l.FieldSize <= 0 {
		l.FieldSize = DefaultFieldSize
	}
	if l.Files <= 0 {
		l.Files = DefaultFiles
	}
	return l
}

// ErrBudget is returned when a bound of Limits is reached; what was read
// before it stays valid.
var ErrBudget = errors.New("journal read budget spent")

// Reader holds the budget and decoders shared by the files it opens.
type Reader struct {
	lim         Limits
	bytesLeft   int64
	objectsLeft int64
	entriesLeft int
	dec         decoders
}

// NewReader returns a reader within lim.
func NewReader(lim Limits) *Reader {
	lim = lim.norm()
	return &Reader{lim: lim, bytesLeft: lim.Bytes, objectsLeft: lim.Objects, entriesLeft: lim.Entries}
}

// Close releases the decoders.
func (rd *Reader) Close() { rd.dec.close() }

// BytesRead is how many bytes the reader has read so far.
func (rd *Reader) BytesRead() int64 { return rd.lim.Bytes - rd.bytesLeft }

// Spent reports whether a bound shared by all files was reached.
func (rd *Reader) Spent() bool {
	return rd.bytesLeft <= 0 || rd.objectsLeft <= 0 || rd.entriesLeft <= 0
}

func (rd *Reader) object() error {
	if rd.objectsLeft <= 0 {
		return fmt.Errorf("%w: %d objects visited", ErrBudget, rd.lim.Objects)
	}
	rd.objectsLeft--
	return nil
}

// File is one open journal file.
type File struct {
	Name   string
	Header Header
	rd     *Reader
	ra     io.ReaderAt
	end    uint64 // bytes that may be read: min(file size, header + arena)
	// Truncated is set when the header claims more bytes than the file has.
	Truncated bool
	chunks    map[uint64][]byte
	fifo      []uint64
}

// Chunks of the file are read and kept a few at a time: entries, their
// arrays and the data they share are close together, so most objects are
// read from memory.
const (
	chunkSize = 64 << 10
	maxChunks = 32
)

// Open reads the header of a journal file of size bytes. name is used in
// errors only.
func (rd *Reader) Open(ra io.ReaderAt, size int64, name string) (*File, error) {
	f := &File{Name: name, rd: rd, ra: ra, chunks: map[uint64][]byte{}}
	if size < headerMinSize {
		return nil, fmt.Errorf("%s: %w", name, corruptf("file of %d bytes", size))
	}
	f.end = uint64(size)
	h, err := rd.header(io.NewSectionReader(ra, 0, headerMinSize), name)
	if err != nil {
		return nil, err
	}
	used := h.HeaderSize + h.ArenaSize
	if used < h.HeaderSize { // overflow
		return nil, fmt.Errorf("%s: %w", name, corruptf("arena size %d", h.ArenaSize))
	}
	if used < f.end {
		f.end = used
	} else if used > f.end {
		f.Truncated = true
	}
	if h.HeaderSize > f.end {
		return nil, fmt.Errorf("%s: %w", name, corruptf("header size %d beyond the end of the file", h.HeaderSize))
	}
	if h.Compact() && f.end > 1<<32 {
		f.end = 1 << 32 // compact offsets are 32-bit
	}
	f.Header = h
	return f, nil
}

// header reads and checks a journal file's header from r, alone: Read
// opens every file for its header before choosing which to read.
func (rd *Reader) header(r io.Reader, name string) (Header, error) {
	if rd.bytesLeft < headerMinSize {
		return Header{}, fmt.Errorf("%s: %w: %d bytes read", name, ErrBudget, rd.lim.Bytes)
	}
	b := make([]byte, headerMinSize)
	n, err := io.ReadFull(r, b)
	rd.bytesLeft -= int64(n)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return Header{}, fmt.Errorf("%s: %w", name, corruptf("file of %d bytes", n))
	case err != nil:
		return Header{}, fmt.Errorf("%s: read header: %w", name, err)
	}
	h, err := parseHeader(b)
	if err != nil {
		return Header{}, fmt.Errorf("%s: %w", name, err)
	}
	return h, nil
}

// bytes returns n bytes at off. The slice may share memory with the
// chunk cache and must not be modified; chunks are never reused, so it
// stays valid.
func (f *File) bytes(off, n uint64) ([]byte, error) {
	if n > f.end || off > f.end-n {
		return nil, corruptf("%d bytes at offset %#x beyond the end %#x", n, off, f.end)
	}
	first, last := off/chunkSize, (off+n)/chunkSize
	if n > 0 && (off+n)%chunkSize == 0 {
		last--
	}
	if n == 0 {
		return nil, nil
	}
	if first == last {
		c, err := f.chunk(first)
		if err != nil {
			return nil, err
		}
		s := off - first*chunkSize
		return c[s : s+n], nil
	}
	out := make([]byte, 0, n)
	for i := first; i <= last; i++ {
		c, err := f.chunk(i)
		if err != nil {
			return nil, err
		}
		lo, hi := uint64(0), uint64(len(c))
		if i == first {
			lo = off - i*chunkSize
		}
		if i == last {
			hi = off + n - i*chunkSize
		}
		out = append(out, c[lo:hi]...)
	}
	return out, nil
}

func (f *File) chunk(i uint64) ([]byte, error) {
	if c, ok := f.chunks[i]; ok {
		return c, nil
	}
	start := i * chunkSize
	n := min(uint64(chunkSize), f.end-start)
	if int64(n) > f.rd.bytesLeft {
		f.rd.bytesLeft = 0 // spent: the next file is not started
		return nil, fmt.Errorf("%w: %d bytes read", ErrBudget, f.rd.lim.Bytes)
	}
	c := make([]byte, n)
	m, err := f.ra.ReadAt(c, int64(start))
	f.rd.bytesLeft -= int64(m)
	if m < len(c) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read at %#x: %w", start, err)
	}
	if len(f.fifo) >= maxChunks {
		delete(f.chunks, f.fifo[0])
		f.fifo = f.fifo[1:]
	}
	f.chunks[i] = c
	f.fifo = append(f.fifo, i)
	return c, nil
}

func (f *File) u64(off uint64) (uint64, error) {
	b, err := f.bytes(off, 8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// object checks the object at off (aligned, inside the arena, of type
// typ, at least min bytes) and returns its size.
func (f *File) object(off uint64, typ byte, minSize uint64) (uint64, error) {
	if off%8 != 0 || off < f.Header.HeaderSize {
		return 0, corruptf("object offset %#x", off)
	}
	if err := f.rd.object(); err != nil {
		return 0, err
	}
	b, err := f.bytes(off, objHeaderSize)
	if err != nil {
		return 0, err
	}
	size := binary.LittleEndian.Uint64(b[8:])
	if b[0] != typ {
		return 0, corruptf("object at %#x has type %d, want %d", off, b[0], typ)
	}
	if size < minSize || size > f.end || off > f.end-size {
		return 0, corruptf("object at %#x of type %d has size %d", off, typ, size)
	}
	return size, nil
}

// itemSize is the size of an offset in entry arrays and entries.
func (f *File) itemSize() uint64 {
	if f.Header.Compact() {
		return 4
	}
	return 8
}

// item reads an offset of itemSize bytes at off.
func (f *File) item(off uint64) (uint64, error) {
	if !f.Header.Compact() {
		return f.u64(off)
	}
	b, err := f.bytes(off, 4)
	if err != nil {
		return 0, err
	}
	return uint64(binary.LittleEndian.Uint32(b)), nil
}
