// Package scap is cradle's native evaluator of SCAP content: SCAP 1.2/1.3
// source data streams and plain XCCDF 1.2 + OVAL 5.11 file pairs.
//
// The work is split by standard: internal/scap/ds reads data-stream
// collections (components, component-refs and their catalogs),
// internal/scap/xccdf the benchmark, profiles, tailoring, values, CPE
// applicability and the rule results and score, internal/scap/oval the
// OVAL definitions and their evaluation against a target. This package
// holds what they share: the bounded XML reader every SCAP document goes
// through.
package scap

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"

	"github.com/cradle-cra/cradle/internal/xmlsafe"
)

// MaxDocumentBytes bounds one SCAP document read into memory. The largest
// SCAP Security Guide data streams are about 30 MiB.
const MaxDocumentBytes = 256 << 20

// ReadFile reads a SCAP document, refusing files over MaxDocumentBytes.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() <= MaxDocumentBytes {
		// One allocation of the right size: io.ReadAll's doubling cost
		// more than parsing a data stream's outline.
		b := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead+1))
		if _, err := b.ReadFrom(io.LimitReader(f, MaxDocumentBytes+1)); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if b.Len() > MaxDocumentBytes {
			return nil, fmt.Errorf("%s: larger than %d MiB", path, MaxDocumentBytes>>20)
		}
		return b.Bytes(), nil
	}
	return ReadAll(f, path)
}

// ReadAll reads r up to MaxDocumentBytes; name is used in errors.
func ReadAll(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxDocumentBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB", name, MaxDocumentBytes>>20)
	}
	return data, nil
}

// Decode decodes the first element of data into v through
// internal/xmlsafe: bounded size, depth and token count, no entity
// declarations; errors name the line and column.
func Decode(data []byte, v any) error {
	return xmlsafe.Decode(bytes.NewReader(data), xmlsafe.Limits{MaxBytes: MaxDocumentBytes}, v)
}

// NewDecoder returns a strict XML decoder over r for scanning a data
// stream's outline (it needs byte offsets, which the bounded decoder does
// not give): it expands no entity beyond the five predefined ones,
// encoding/xml never reads a DTD, Token refuses a DOCTYPE outright, and
// every component it locates is then decoded through Decode.
func NewDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.Strict = true
	d.Entity = map[string]string{}
	return d
}

// Token reads the next token, refusing directives (DOCTYPE and its
// entity declarations) and reporting errors with the line and column.
func Token(d *xml.Decoder) (xml.Token, error) {
	t, err := d.Token()
	if err != nil {
		return nil, Pos(d, err)
	}
	if _, ok := t.(xml.Directive); ok {
		return nil, Pos(d, fmt.Errorf("DOCTYPE and entity declarations are refused"))
	}
	return t, nil
}

// Pos wraps err with the decoder's current line and column.
func Pos(d *xml.Decoder, err error) error {
	if err == io.EOF {
		return err
	}
	line, col := d.InputPos()
	return fmt.Errorf("line %d:%d: %w", line, col, err)
}
