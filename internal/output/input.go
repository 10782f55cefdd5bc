package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cradle-cra/cradle/internal/fileutil"
)

// MaxDocument bounds a saved document read back (cradle convert).
const MaxDocument = 256 << 20

// ReadFile reads the saved document at path and decodes it by its "kind":
// only a regular file (a FIFO or device is refused without blocking on
// it), at most MaxDocument bytes. It returns the kind's spec and the
// document as the kind's renderers take it. Every error is a *UsageError
// naming path, and line and column where the JSON is at fault.
func (r *Registry) ReadFile(path string) (*Spec, any, error) {
	f, err := fileutil.OpenRegular(path)
	if err != nil {
		return nil, nil, usage(err)
	}
	defer f.Close()
	return r.Read(path, f)
}

// Read reads one saved document (at most MaxDocument bytes) from rd,
// named name in errors, and decodes it as ReadFile does.
func (r *Registry) Read(name string, rd io.Reader) (*Spec, any, error) {
	data, err := io.ReadAll(io.LimitReader(rd, MaxDocument+1))
	if err != nil {
		return nil, nil, usage(fmt.Errorf("read %s: %w", name, err))
	}
	if len(data) > MaxDocument {
		return nil, nil, usage(fmt.Errorf("%s: larger than %d bytes", name, MaxDocument))
	}
	return r.Decode(name, data)
}

// header is what identifies a document; results and plan recognise the
// scan reports and fix plans written before documents carried a kind.
type header struct {
	SchemaVersion string          `json:"schema_version"`
	Kind          Kind            `json:"kind"`
	Results       json.RawMessage `json:"results"`
	Plan          json.RawMessage `json:"plan"`
}

// Decode decodes data, named name in errors, by its kind (see ReadFile).
func (r *Registry) Decode(name string, data []byte) (*Spec, any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, usage(fmt.Errorf("%s: empty, not a cradle JSON document", name))
	}
	var h header
	// The first value is enough: a stream's first line heads it.
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&h); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return nil, nil, usage(fmt.Errorf("%s: not a cradle JSON document (want an object with \"kind\", got %s)", name, te.Value))
		}
		return nil, nil, positioned(name, data, 0, err)
	}
	if h.Kind == "" {
		switch {
		case h.SchemaVersion == "1.0" && h.Results != nil:
			h.Kind = KindScanReport
		case h.SchemaVersion == "1" && h.Plan != nil:
			h.Kind, h.SchemaVersion = KindFixPlan, "1.0"
		default:
			return nil, nil, usage(fmt.Errorf("%s: not a cradle JSON document: no \"kind\"", name))
		}
	}
	s, err := r.Spec(h.Kind)
	if err != nil {
		return nil, nil, usage(fmt.Errorf("%s: %w", name, err))
	}
	if major(h.SchemaVersion) != major(s.SchemaVersion) {
		return nil, nil, usage(fmt.Errorf("%s: %s schema version %q is not supported (this cradle reads %s.x)",
			name, s.Kind, h.SchemaVersion, major(s.SchemaVersion)))
	}
	doc, err := s.decode(data)
	if err != nil {
		return nil, nil, positioned(name, data, 0, err)
	}
	return s, doc, nil
}

func major(v string) string {
	m, _, _ := strings.Cut(v, ".")
	return m
}

// decodeOne decodes a document of one JSON value. Unknown properties are
// ignored: newer minor versions may add some.
func decodeOne[T any](data []byte) (any, error) {
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, err
	}
	return v, nil
}

// decodeLines decodes a JSON Lines stream of documents of kind k into a
// *[]T; every line must be a k.
func decodeLines[T any](k Kind) func(data []byte) (any, error) {
	return func(data []byte) (any, error) {
		out := []T{}
		off := int64(0)
		for line := range bytes.Lines(data) {
			start := off
			off += int64(len(line))
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var h header
			if err := json.Unmarshal(line, &h); err != nil {
				return nil, &offsetError{start, err}
			}
			if h.Kind != k {
				return nil, &offsetError{start, fmt.Errorf("a %q line in a stream of %q", h.Kind, k)}
			}
			var v T
			if err := json.Unmarshal(line, &v); err != nil {
				return nil, &offsetError{start, err}
			}
			out = append(out, v)
		}
		return &out, nil
	}
}

// offsetError is an error in the JSON value starting at Base.
type offsetError struct {
	Base int64
	Err  error
}

func (e *offsetError) Error() string { return e.Err.Error() }
func (e *offsetError) Unwrap() error { return e.Err }

// positioned names where in data err happened: "name:line:col: message"
// when the JSON decoder reported an offset, "name: message" otherwise.
func positioned(name string, data []byte, base int64, err error) error {
	var oe *offsetError
	if errors.As(err, &oe) {
		base += oe.Base
		err = oe.Err
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	off := int64(-1)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = base + se.Offset - 1 // Offset counts the offending byte
	case errors.Is(err, io.ErrUnexpectedEOF):
		off, msg = int64(len(data)), "unexpected end of JSON input"
	case errors.As(err, &te):
		off = base + te.Offset
	case oe != nil:
		off = base
	}
	if off < 0 {
		return usage(fmt.Errorf("%s: %s", name, msg))
	}
	line, col := lineCol(data, off)
	return usage(fmt.Errorf("%s:%d:%d: %s", name, line, col, msg))
}

// lineCol turns a byte offset into a 1-based line and column (in bytes).
func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
