package fim

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/cradle-cra/cradle/internal/envelope"
)

// The database file is
//
//	cradle-fim-db 1\n
//	<DSSE envelope, one line of JSON>\n
//	<body: gzip of JSON lines, one Entry per line, sorted by path>
//
// The envelope's payload is the Header, which names the body's size,
// sha256 and entry count: the signature covers the whole file, and the
// body can be read as a stream and checked as it goes.
const Magic = "cradle-fim-db 1\n"

// FormatVersion is the Header.Format this version writes and reads.
const FormatVersion = 1

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
	Header  Header
	KeyID   string
	Entries []*Entry
	// Digest is "sha256:<hex>" of the whole file, as the change log
	// records it.
	Digest string
}

// Index maps paths to entries, for Options.Previous.
func (d *DB) Index() map[string]*Entry {
	m := make(map[string]*Entry, len(d.Entries))
	for _, e := range d.Entries {
		m[e.Path] = e
	}
	return m
}

// Encode serialises and signs a database of entries (sorted by path);
// h's body fields are filled in. It returns the file's bytes and digest.
func Encode(h Header, entries []*Entry, signer envelope.Signer) ([]byte, string, error) {
	var body bytes.Buffer
	zw, err := gzip.NewWriterLevel(&body, gzip.BestSpeed)
	if err != nil {
		return nil, "", err
	}
	bw := bufio.NewWriterSize(zw, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i, e := range entries {
		if i > 0 && entries[i-1].Path >= e.Path {
			return nil, "", fmt.Errorf("encode integrity database: entries not sorted at %q", e.Path)
		}
		if err := enc.Encode(e); err != nil {
			return nil, "", fmt.Errorf("encode integrity database: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, "", err
	}
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(body.Bytes())
	h.Format, h.Compression, h.Entries = FormatVersion, "gzip", len(entries)
	h.BodySize, h.BodySHA256 = int64(body.Len()), hex.EncodeToString(sum[:])
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
	out := make([]byte, 0, len(Magic)+len(line)+1+body.Len())
	out = append(out, Magic...)
	out = append(out, line...)
	out = append(out, '\n')
	out = append(out, body.Bytes()...)
	return out, fileDigest(out), nil
}

func fileDigest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func tampered(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrTampered, fmt.Sprintf(format, a...))
}

// Decode verifies and parses a database file against the trusted keys.
// Any defect is an error wrapping ErrTampered; nothing unverified is
// returned.
func Decode(data []byte, keys envelope.Keys) (*DB, error) {
	if !bytes.HasPrefix(data, []byte(Magic)) {
		return nil, tampered("not a cradle integrity database (format %d)", FormatVersion)
	}
	rest := data[len(Magic):]
	nl := bytes.IndexByte(rest[:min(len(rest), MaxEnvelope+1)], '\n')
	if nl < 0 {
		return nil, tampered("no signature line")
	}
	env, err := envelope.Parse(rest[:nl])
	if err != nil {
		return nil, tampered("signature line: %v", err)
	}
	payload, keyID, err := envelope.Verify(env, envelope.TypeIntegrityDB, keys)
	if err != nil {
		return nil, tampered("%v", err)
	}
	var h Header
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, tampered("header: %v", err)
	}
	if h.Format != FormatVersion || h.Compression != "gzip" {
		return nil, tampered("format %d with %q compression is not readable by this version", h.Format, h.Compression)
	}
	if h.Entries < 0 || h.Entries > MaxEntries || h.BodySize < 0 || h.BodySize > MaxBody {
		return nil, tampered("header out of bounds")
	}
	body := rest[nl+1:]
	if int64(len(body)) != h.BodySize {
		return nil, tampered("body is %d bytes, the signed header says %d (truncated or extended)", len(body), h.BodySize)
	}
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != h.BodySHA256 {
		return nil, tampered("body does not match its signed digest")
	}
	// The body is now authenticated; parsing is still bounded, since a
	// stolen key must not be able to crash the reader.
	entries, err := decodeBody(body, h.Entries)
	if err != nil {
		return nil, tampered("%v", err)
	}
	return &DB{Header: h, KeyID: keyID, Entries: entries, Digest: fileDigest(data)}, nil
}

func decodeBody(body []byte, want int) ([]*Entry, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	zr.Multistream(false)
	sc := bufio.NewScanner(io.LimitReader(zr, int64(want+1)*MaxLine))
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	entries := make([]*Entry, 0, min(want, 1<<20))
	prev := ""
	for sc.Scan() {
		if len(entries) == want {
			return nil, fmt.Errorf("body has more than the %d signed entries", want)
		}
		e := &Entry{}
		if err := json.Unmarshal(sc.Bytes(), e); err != nil {
			return nil, fmt.Errorf("entry %d: %w", len(entries)+1, err)
		}
		if !strings.HasPrefix(e.Path, "/") || path.Clean(e.Path) != e.Path || strings.ContainsRune(e.Path, 0) {
			return nil, fmt.Errorf("entry %d: bad path %q", len(entries)+1, e.Path)
		}
		if len(entries) > 0 && e.Path <= prev {
			return nil, fmt.Errorf("entry %d: %q out of order", len(entries)+1, e.Path)
		}
		prev = e.Path
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	if len(entries) != want {
		return nil, fmt.Errorf("body has %d entries, the signed header says %d", len(entries), want)
	}
	return entries, nil
}
