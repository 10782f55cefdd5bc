// Package xmlsafe reads untrusted XML (SCAP content, tailoring files, SBOMs,
// pom.xml) with bounds on size, nesting depth and token count, and refuses
// entity declarations, so a hostile document can neither expand entities
// nor exhaust memory or time.
//
// It wraps encoding/xml rather than replacing it: the standard decoder never
// fetches external entities and, in strict mode, rejects references to
// undeclared ones; what it lacks is a bound on work and a refusal of DTD
// entity declarations, which this package adds by filtering the raw token
// stream. Errors carry the line and column of the offending input.
package xmlsafe

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// Limits bound one document. Zero fields take the defaults below.
type Limits struct {
	MaxBytes  int64 // input bytes read
	MaxDepth  int   // element nesting
	MaxTokens int64 // tokens of any kind
}

// Defaults suit the largest real inputs (an SSG datastream is ~30 MB and
// ~2M tokens) with room to spare.
const (
	DefaultMaxBytes  = 512 << 20
	DefaultMaxDepth  = 256
	DefaultMaxTokens = 100_000_000
)

var (
	// ErrEntity: the document declares entities (or has an internal DTD subset).
	ErrEntity = errors.New("DTD entity declarations are not accepted")
	// ErrTooLarge: more input than Limits.MaxBytes.
	ErrTooLarge = errors.New("document too large")
	// ErrTooDeep: elements nested deeper than Limits.MaxDepth.
	ErrTooDeep = errors.New("elements nested too deep")
	// ErrTooManyTokens: more tokens than Limits.MaxTokens.
	ErrTooManyTokens = errors.New("too many XML tokens")
)

// Error is a read failure at a position of the input.
type Error struct {
	Line, Col int
	Err       error
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %v", e.Line, e.Col, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxTokens <= 0 {
		l.MaxTokens = DefaultMaxTokens
	}
	return l
}

// guard is the bounded raw token stream the returned decoder reads.
type guard struct {
	in     *xml.Decoder
	lim    Limits
	depth  int
	tokens int64
	err    error // sticky
}

// Decoder is a strict *xml.Decoder whose token stream is bounded. Use it
// like the embedded decoder (Token, Decode, DecodeElement, Skip); pass
// d.Decoder where an *xml.Decoder is needed.
type Decoder struct {
	*xml.Decoder
	g *guard
}

// NewDecoder returns a bounded strict decoder over r. Errors raised by the
// bounds are *Error values; Wrap places any other error at the position
// the input reached.
func NewDecoder(r io.Reader, lim Limits) *Decoder {
	lim = lim.withDefaults()
	in := xml.NewDecoder(&capReader{r: r, left: lim.MaxBytes})
	in.Strict = true
	g := &guard{in: in, lim: lim}
	return &Decoder{Decoder: xml.NewTokenDecoder(g), g: g}
}

// InputPos is the line and column of the input read so far (the embedded
// decoder only sees tokens, so its own position is meaningless).
func (d *Decoder) InputPos() (line, column int) { return d.g.in.InputPos() }

// Wrap returns err as an *Error: errors from the bounds already are one;
// others (a mismatched end tag, an unmarshalling type error) are placed at
// the position the input reached. nil and io.EOF pass unchanged.
func (d *Decoder) Wrap(err error) error {
	var xe *Error
	if err == nil || err == io.EOF || errors.As(err, &xe) {
		return err
	}
	line, col := d.g.in.InputPos()
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		err = errors.New(se.Msg)
	}
	return &Error{Line: line, Col: col, Err: err}
}

func (g *guard) fail(err error) error {
	var xe *Error
	if errors.As(err, &xe) {
		g.err = err
		return err
	}
	line, col := g.in.InputPos()
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		err = errors.New(se.Msg)
	}
	g.err = &Error{Line: line, Col: col, Err: err}
	return g.err
}

func (g *guard) Token() (xml.Token, error) {
	if g.err != nil {
		return nil, g.err
	}
	tok, err := g.in.RawToken()
	if err != nil {
		if err == io.EOF {
			if g.depth > 0 {
				return nil, g.fail(errors.New("unexpected end of document"))
			}
			return nil, io.EOF
		}
		return nil, g.fail(err)
	}
	if g.tokens++; g.tokens > g.lim.MaxTokens {
		return nil, g.fail(fmt.Errorf("%w (more than %d)", ErrTooManyTokens, g.lim.MaxTokens))
	}
	switch t := tok.(type) {
	case xml.StartElement:
		if g.depth++; g.depth > g.lim.MaxDepth {
			return nil, g.fail(fmt.Errorf("%w (more than %d)", ErrTooDeep, g.lim.MaxDepth))
		}
	case xml.EndElement:
		g.depth--
	case xml.Directive:
		// A DOCTYPE naming an external DTD is harmless (nothing is fetched);
		// an internal subset may declare entities, so it is refused whole.
		if bytes.Contains(t, []byte("ENTITY")) || bytes.IndexByte(t, '[') >= 0 {
			return nil, g.fail(ErrEntity)
		}
	}
	return tok, nil
}

// capReader fails once more than left bytes have been read.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// Probe for more input: exactly MaxBytes is allowed.
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// Decode reads one element from r into v (as xml.Unmarshal does), bounded
// by lim. Errors name the line and column.
func Decode(r io.Reader, lim Limits, v any) error {
	d := NewDecoder(r, lim)
	return d.Wrap(d.Decode(v))
}
