package oval

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/cradle-cra/cradle/internal/xmlsafe"
)

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

// treeReader builds the tree; the xmlsafe decoder bounds size, depth and
// tokens, maxDepth also guards trees read from a caller's decoder.
type treeReader struct {
	d        *xml.Decoder
	pos      func() (int, int)
	wrap     func(error) error
	maxDepth int
}

func (t *treeReader) fail(err error) error {
	var xe *xmlsafe.Error
	if errors.As(err, &xe) {
		return err
	}
	if t.wrap != nil {
		return t.wrap(err)
	}
	line, col := t.pos()
	return &xmlsafe.Error{Line: line, Col: col, Err: err}
}

// readTree reads start's subtree.
func (t *treeReader) readTree(start xml.StartElement, depth int) (*node, error) {
	if depth > t.maxDepth {
		return nil, t.fail(xmlsafe.ErrTooDeep)
	}
	line, _ := t.pos()
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
