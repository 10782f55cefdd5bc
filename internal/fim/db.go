package fim

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/cradle-cra/cradle/internal/envelope"
)

// The database file is
//
//	cradle-fim-db 2\n
//	<DSSE envelope, one line of JSON>\n
//	<body: one binary record per Entry, sorted by path (dbv2.go)>
//
// The envelope's payload is the Header, which names the body's size,
// sha256 and entry count: the signature covers the whole file, and the
// body can be read as a stream and checked as it goes. Format 1 (still
// read) has the same layout with "1" in the magic line and a body of
// gzip-compressed JSON lines.
const Magic = "cradle-fim-db 2\n"

// magicV1 begins a format 1 database.
const magicV1 = "cradle-fim-db 1\n"

// FormatVersion is the Header.Format this version writes; it also reads
// format 1.
const FormatVersion = 2

// Bounds of what Decode accepts from a file it has not verified yet.
const (
	MaxEnvelope = 1 << 20
	MaxBody     = 4 << 30
	MaxLine     = 64 << 10
	MaxEntries  = 50_000_000
	// MaxFile bounds a whole database file.
	MaxFile = int64(len(Magic)) + MaxEnvelope + 1 + MaxBody
)

// ErrTampered is wrapped by every failure to verify a database: it was
// edited, truncated, extended, signed by another key, or is not one.
// Callers must never treat it as "no change".
var ErrTampered = errors.New("integrity database fails verification")

// Header is the signed payload of a database.
type Header struct {
	Format      int       `json:"format"`
	Target      string    `json:"target"`
	Host        string    `json:"host"`
	Created     time.Time `json:"created"`
	Seq         uint64    `json:"seq"`
	Policy      string    `json:"policy"`
	PolicyHash  string    `json:"policy_sha256"`
	Entries     int       `json:"entries"`
	Compression string    `json:"compression"`
	BodySize    int64     `json:"body_size"`
	BodySHA256  string    `json:"body_sha256"`
}

// DB is a verified database.
type DB struct {
	Header Header
	KeyID  string
	// Entries are the recorded entries (Read); nil when the database was
	// read for a walk (ReadForWalk), whose entries are in its index.
	Entries []*Entry
	// Digest is "sha256:<hex>" of the whole file, as the change log
	// records it.
	Digest string

	walk *walkIndex // ReadForWalk
}

// Index maps paths to entries, for Options.Previous; it is empty for a
// database read for a walk (ReadForWalk), whose Lender is an index.
func (d *DB) Index() map[string]*Entry {
	m := make(map[string]*Entry, len(d.Entries))
	for _, e := range d.Entries {
		m[e.Path] = e
	}
	return m
}

// Compare lists the differences from the database to cur (sorted by
// path), as the package's Compare does. For a database read for a walk
// it waits for the body's decoding and returns ErrTampered, and no
// changes, when the body fails verification.
func (d *DB) Compare(cur []*Entry, p *Policy) ([]Change, error) {
	if d.walk != nil {
		return d.walk.compare(cur, p)
	}
	return Compare(d.Entries, cur, p), nil
}

// Encode serialises and signs a database of entries (sorted by path);
// h's body fields are filled in. It returns the file's bytes and digest.
func Encode(h Header, entries []*Entry, signer envelope.Signer) ([]byte, string, error) {
	// The body is written once, after room for the magic and signature
	// lines, which then go in front of it: the file is never copied, and
	// sized from the entries it is never regrown (a database of a system
	// tree is over 10 MB, and init's peak memory is the walk's entries
	// plus this).
	const room = 4 << 10
	est, prev := room, ""
	for _, e := range entries {
		est += 48 + len(e.Path) - sharedPrefix(prev, e.Path) + len(e.Target) + (len(e.SHA256)+len(e.SHA512)+len(e.BLAKE3))/2 +
			len(e.Error) + len(deref(e.ACL)) + len(deref(e.SELinux))
		for k, v := range e.Xattrs {
			est += 4 + len(k) + len(v)
		}
		prev = e.Path
	}
	body := bytes.NewBuffer(bigSlice[byte](room, est, false))
	vw := newV2Writer(body)
	for i, e := range entries {
		if i > 0 && entries[i-1].Path >= e.Path {
			return nil, "", fmt.Errorf("encode integrity database: entries not sorted at %q", e.Path)
		}
		if err := vw.write(e); err != nil {
			return nil, "", fmt.Errorf("encode integrity database: %w", err)
		}
	}
	all := body.Bytes()
	b := all[room:]
	sum := sha256.Sum256(b)
	h.Format, h.Compression, h.Entries = FormatVersion, "none", len(entries)
	h.BodySize, h.BodySHA256 = int64(len(b)), hex.EncodeToString(sum[:])
	payload, err := json.Marshal(h)
	if err != nil {
		return nil, "", err
	}
	env, err := envelope.Sign(envelope.TypeIntegrityDB, payload, signer)
	if err != nil {
		return nil, "", err
	}
	line, err := envelope.Marshal(env)
	if err != nil {
		return nil, "", err
	}
	head := len(Magic) + len(line) + 1
	var out []byte
	if head <= room {
		out = all[room-head:]
	} else {
		out = make([]byte, head+len(b))
		copy(out[head:], b)
	}
	copy(out, Magic)
	copy(out[len(Magic):], line)
	out[head-1] = '\n'
	return out, fileDigest(out), nil
}

func sharedPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

func fileDigest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func tampered(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrTampered, fmt.Sprintf(format, a...))
}

// Decode verifies and parses a database file held in memory (Read).
func Decode(data []byte, keys envelope.Keys) (*DB, error) {
	return Read(bytes.NewReader(data), keys)
}

// Read verifies and parses a database file from r against the trusted
// keys, as a stream (Scan), and returns it with its entries.
func Read(r io.Reader, keys envelope.Keys) (*DB, error) {
	var entries []*Entry
	db, err := Scan(r, keys, func(e *Entry) error {
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	db.Entries = entries
	return db, nil
}

// Scan verifies and parses a database file from r against the trusted
// keys as a stream: the signed header first, then the body decompressed
// and decoded entry by entry while its size and sha256 are computed, so
// neither the file nor its body is ever held whole. Each entry goes to
// fn, in path order, as it is decoded — before the body is verified:
// whatever fn builds must be discarded unless Scan returns no error.
// Any defect of the file is an error wrapping ErrTampered; an error
// reading r, or fn's error, is returned as it is. DB.Entries is nil.
func Scan(r io.Reader, keys envelope.Keys, fn func(*Entry) error) (*DB, error) {
	return scan(r, keys, scanOpts{}, fn)
}

// scanOpts tune scan for a caller that keeps only part of each entry.
type scanOpts struct {
	// start, when set, is called with the verified header before the
	// first entry (to size what fn builds).
	start func(Header)
	// reuse hands fn the same Entry every time (format 2): fn may keep
	// its strings but not the entry itself.
	reuse bool
	// noFileDigest leaves DB.Digest empty: the caller has it already.
	noFileDigest bool
}

// scan is Scan tuned by o.
func scan(r io.Reader, keys envelope.Keys, o scanOpts, fn func(*Entry) error) (*DB, error) {
	var file hash.Hash
	in := &ioErrReader{r: io.LimitReader(r, MaxFile+1)}
	var src io.Reader = in
	if !o.noFileDigest {
		file = sha256.New()
		src = io.TeeReader(in, file)
	}
	br := bufio.NewReaderSize(src, 64<<10)
	magic := make([]byte, len(Magic))
	format := 0
	if _, err := io.ReadFull(br, magic); err == nil {
		switch string(magic) {
		case Magic:
			format = FormatVersion
		case magicV1:
			format = 1
		}
	}
	if format == 0 {
		return nil, in.or(tampered("not a cradle integrity database (format 1 or %d)", FormatVersion))
	}
	line, err := readLine(br, MaxEnvelope)
	if err != nil {
		return nil, in.or(tampered("no signature line"))
	}
	h, keyID, err := verifyHeader(line, keys, format)
	if err != nil {
		return nil, err
	}
	body := &countingReader{r: io.LimitReader(br, h.BodySize+1), h: sha256.New()}
	if o.start != nil {
		o.start(h)
	}
	var perr error
	if format == 1 {
		perr = decodeStream(body, h.Entries, fn)
	} else {
		perr = decodeV2(body, h.Entries, o.reuse, fn)
	}
	var fnErr *callbackError
	if errors.As(perr, &fnErr) {
		return nil, fnErr.err
	}
	// Read what decoding left (past the gzip trailer, or after an error)
	// so that size and digest cover the whole rest of the file: a
	// truncated or extended body is named as such, not as the syntax
	// error it also causes.
	if _, err := io.Copy(io.Discard, body); err != nil || in.err != nil {
		return nil, in.or(fmt.Errorf("read integrity database: %w", err))
	}
	if body.n != h.BodySize {
		return nil, tampered("body is %s bytes, the signed header says %d (truncated or extended)", bodyLen(body.n, h.BodySize), h.BodySize)
	}
	if hex.EncodeToString(body.h.Sum(nil)) != h.BodySHA256 {
		return nil, tampered("body does not match its signed digest")
	}
	if perr != nil {
		// Authenticated yet malformed: parsing stays bounded, since a
		// stolen key must not be able to crash the reader.
		return nil, tampered("%v", perr)
	}
	db := &DB{Header: h, KeyID: keyID}
	if file != nil {
		db.Digest = "sha256:" + hex.EncodeToString(file.Sum(nil))
	}
	return db, nil
}

// callbackError carries the error of Scan's fn through the decoder.
type callbackError struct{ err error }

func (c *callbackError) Error() string { return c.err.Error() }

func bodyLen(n, signed int64) string {
	if n > signed {
		return "more than " + strconv.FormatInt(signed, 10)
	}
	return strconv.FormatInt(n, 10)
}

// verifyHeader checks the signature line and returns its header.
// The header's format must be the one the magic line names (a header
// cannot be moved to a body of another format without its signature).
func verifyHeader(line []byte, keys envelope.Keys, format int) (Header, string, error) {
	var h Header
	env, err := envelope.Parse(line)
	if err != nil {
		return h, "", tampered("signature line: %v", err)
	}
	payload, keyID, err := envelope.Verify(env, envelope.TypeIntegrityDB, keys)
	if err != nil {
		return h, "", tampered("%v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return h, "", tampered("header: %v", err)
	}
	if h.Format != format || h.Compression != map[int]string{1: "gzip", 2: "none"}[format] {
		return h, "", tampered("format %d with %q compression is not readable by this version", h.Format, h.Compression)
	}
	if h.Entries < 0 || h.Entries > MaxEntries || h.BodySize < 0 || h.BodySize > MaxBody {
		return h, "", tampered("header out of bounds")
	}
	return h, keyID, nil
}

// readLine reads up to and without the next newline, at most max bytes.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(line)+len(frag) > max+1 {
			return nil, errors.New("line too long")
		}
		line = append(line, frag...)
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case !errors.Is(err, bufio.ErrBufferFull):
			return nil, err
		}
	}
}

// countingReader counts and hashes what is read through it.
type countingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.h.Write(p[:n])
	return n, err
}

// ioErrReader remembers a read error of the file itself, which is not
// evidence of tampering (a disk error) and must not be reported as such.
type ioErrReader struct {
	r   io.Reader
	err error
}

func (e *ioErrReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// or returns the read error if there was one, else err.
func (e *ioErrReader) or(err error) error {
	if e.err != nil {
		return fmt.Errorf("read integrity database: %w", e.err)
	}
	return err
}

// decodeBody decodes a whole body held in memory (the fuzz target).
func decodeBody(body []byte, want int) ([]*Entry, error) {
	var out []*Entry
	err := decodeStream(bytes.NewReader(body), want, func(e *Entry) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// decodeStream decodes the gzip JSON lines of a body: at most want
// entries of at most MaxLine bytes each, with clean absolute paths in
// strictly increasing order.
func decodeStream(body io.Reader, want int, fn func(*Entry) error) error {
	zr, err := gzip.NewReader(body)
	if err != nil {
		return fmt.Errorf("body: %w", err)
	}
	zr.Multistream(false)
	sc := bufio.NewScanner(io.LimitReader(zr, int64(want+1)*MaxLine))
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	n, prev := 0, ""
	for sc.Scan() {
		if n == want {
			return fmt.Errorf("body has more than the %d signed entries", want)
		}
		e := &Entry{}
		if err := json.Unmarshal(sc.Bytes(), e); err != nil {
			return fmt.Errorf("entry %d: %w", n+1, err)
		}
		if !strings.HasPrefix(e.Path, "/") || path.Clean(e.Path) != e.Path || strings.ContainsRune(e.Path, 0) {
			return fmt.Errorf("entry %d: bad path %q", n+1, e.Path)
		}
		if n > 0 && e.Path <= prev {
			return fmt.Errorf("entry %d: %q out of order", n+1, e.Path)
		}
		e.Type = internType(e.Type)
		prev = e.Path
		n++
		if err := fn(e); err != nil {
			return &callbackError{err}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	if n != want {
		return fmt.Errorf("body has %d entries, the signed header says %d", n, want)
	}
	// The gzip trailer (CRC-32 and length of the whole stream) is checked
	// when the reader reaches the end.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	return nil
}

// internType shares the constant for a known type instead of holding one
// small string per decoded entry.
func internType(t string) string {
	for _, k := range []string{TypeFile, TypeDir, TypeSymlink, TypeFIFO, TypeSocket, TypeChar, TypeBlock, TypeOther} {
		if t == k {
			return k
		}
	}
	return t
}
