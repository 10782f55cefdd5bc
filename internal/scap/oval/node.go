package oval

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ParseLimits bound the XML reader.
type ParseLimits struct {
	MaxBytes    int64 // default 512 MiB
	MaxDepth    int   // default 256
	MaxElements int   // default 4 million
}

func (l ParseLimits) withDefaults() ParseLimits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = 512 << 20
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 256
	}
	if l.MaxElements <= 0 {
		l.MaxElements = 4 << 20
	}
	return l
}

// node is a generic element: OVAL's hundreds of test, object and state
// types share a shape, so the model is built from this tree.
type node struct {
	ns, name string
	attrs    []xml.Attr
	kids     []*node
	text     string
	line     int
}

func (n *node) attr(name string) string {
	for _, a := range n.attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *node) has(name string) bool {
	for _, a := range n.attrs {
		if a.Name.Local == name {
			return true
		}
	}
	return false
}

func (n *node) child(name string) *node {
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// ParseError is a refused or malformed document, with its position.
type ParseError struct {
	Line, Col int
	Err       error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("oval: %d:%d: %v", e.Line, e.Col, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

type treeReader struct {
	d        *xml.Decoder
	lim      ParseLimits
	elements int
}

func (t *treeReader) fail(err error) error {
	line, col := t.d.InputPos()
	var pe *ParseError
	if errors.As(err, &pe) {
		return err
	}
	return &ParseError{Line: line, Col: col, Err: err}
}

// readTree reads start's subtree.
func (t *treeReader) readTree(start xml.StartElement, depth int) (*node, error) {
	if depth > t.lim.MaxDepth {
		return nil, t.fail(fmt.Errorf("nesting deeper than %d", t.lim.MaxDepth))
	}
	t.elements++
	if t.elements > t.lim.MaxElements {
		return nil, t.fail(fmt.Errorf("more than %d elements", t.lim.MaxElements))
	}
	line, _ := t.d.InputPos()
	n := &node{ns: start.Name.Space, name: start.Name.Local, attrs: start.Attr, line: line}
	var text strings.Builder
	for {
		tok, err := t.d.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, t.fail(err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			k, err := t.readTree(tk, depth+1)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, k)
		case xml.CharData:
			text.Write(tk)
		case xml.EndElement:
			n.text = text.String()
			return n, nil
		case xml.Directive:
			return nil, t.fail(errors.New("DOCTYPE and other directives are refused"))
		}
	}
}

// limitedReader fails, rather than truncating, past the byte limit.
type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errors.New("document exceeds size limit")
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}
