package ds

import (
	"bytes"
	"encoding/xml"
	"fmt"

	"github.com/cradle-cra/cradle/internal/scap"
)

// maxDepth bounds element nesting in the outline scan, as the bounded
// decoder does inside components.
const maxDepth = 256

// outline walks a collection's bytes after its root start tag without
// tokenizing the components: it finds tags, comments, CDATA sections and
// processing instructions by their delimiters, checks that start and end
// tags nest and match, and decodes only the start tags and data-streams
// at the collection's level. Components, most of the bytes, are then
// parsed once by the reader of their standard. (Tokenizing everything
// with encoding/xml cost more than the rest of loading.)
type outline struct {
	c       *Collection
	data    []byte
	rootNS  []xml.Attr
	rootRaw []byte // the root's name as written (prefix:local)
}

// child is an element directly under the collection being scanned.
type child struct {
	name     xml.Name // resolved
	id       string
	start    int // offset of its start tag
	decls    []xml.Attr
	compKid  bool // a component's single child was seen
	kidStart int
	kidTag   []byte
}

func (o *outline) run(pos int) error {
	data := o.data
	stack := [][]byte{o.rootRaw} // raw names of open elements
	var cur *child
	for {
		i := bytes.IndexByte(data[pos:], '<')
		if i < 0 {
			return o.errAt(len(data), "data-stream-collection is not closed")
		}
		at := pos + i
		rest := data[at:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			j := bytes.Index(rest[4:], []byte("-->"))
			if j < 0 {
				return o.errAt(at, "unterminated comment")
			}
			pos = at + 4 + j + 3
			continue
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			j := bytes.Index(rest, []byte("]]>"))
			if j < 0 {
				return o.errAt(at, "unterminated CDATA section")
			}
			pos = at + j + 3
			continue
		case bytes.HasPrefix(rest, []byte("<?")):
			j := bytes.Index(rest, []byte("?>"))
			if j < 0 {
				return o.errAt(at, "unterminated processing instruction")
			}
			pos = at + j + 2
			continue
		case bytes.HasPrefix(rest, []byte("<!")):
			return o.errAt(at, "DOCTYPE and entity declarations are refused")
		case bytes.HasPrefix(rest, []byte("</")):
			j := bytes.IndexByte(rest, '>')
			if j < 0 {
				return o.errAt(at, "unterminated end tag")
			}
			name := bytes.TrimRight(rest[2:j], " \t\r\n")
			top := stack[len(stack)-1]
			if !bytes.Equal(name, top) {
				return o.errAt(at, fmt.Sprintf("end tag </%s> does not match <%s>", name, top))
			}
			stack = stack[:len(stack)-1]
			pos = at + j + 1
			if err := o.closed(len(stack), cur, pos); err != nil {
				return err
			}
			if len(stack) == 1 {
				cur = nil
			}
			if len(stack) == 0 {
				return nil
			}
			continue
		}
		end, err := o.tagEnd(at)
		if err != nil {
			return err
		}
		tag := data[at:end]
		self := tag[len(tag)-2] == '/'
		name := tagName(tag)
		if len(name) == 0 {
			return o.errAt(at, "a tag without a name")
		}
		depth := len(stack) // depth of the new element (the root is 0)
		switch depth {
		case 1:
			el, err := rawStart(tag)
			if err != nil {
				return o.errAt(at, err.Error())
			}
			decls := nsDecls(el)
			cur = &child{name: resolve(el.Name, mergeNS(o.rootNS, decls)), id: attr(el, "", "id"), start: at, decls: decls}
		case 2:
			if cur != nil && !cur.compKid {
				cur.compKid, cur.kidStart, cur.kidTag = true, at, tag
			}
		}
		pos = end
		if self {
			if err := o.closed(depth, cur, pos); err != nil {
				return err
			}
			if depth == 1 {
				cur = nil
			}
			continue
		}
		if len(stack) >= maxDepth {
			return o.errAt(at, fmt.Sprintf("elements nested deeper than %d", maxDepth))
		}
		stack = append(stack, name)
	}
}

// closed handles the end of an element that leaves depth open elements:
// a component's child (depth 2) or a child of the collection (depth 1).
func (o *outline) closed(depth int, cur *child, end int) error {
	if cur == nil {
		return nil
	}
	isComp := cur.name.Space == NS && (cur.name.Local == "component" || cur.name.Local == "extended-component")
	switch {
	case depth == 2 && isComp && cur.compKid:
		if _, done := o.c.comps[cur.id]; done {
			return nil // a second child: only the first is the component
		}
		kid, err := rawStart(cur.kidTag)
		if err != nil {
			return o.errAt(cur.kidStart, err.Error())
		}
		inScope := mergeNS(o.rootNS, cur.decls)
		o.c.comps[cur.id] = span{start: cur.kidStart, end: end,
			root: resolve(kid.Name, mergeNS(inScope, nsDecls(kid))), ns: missingNS(inScope, nsDecls(kid))}
	case depth == 1 && isComp:
		if !cur.compKid {
			return o.errAt(cur.start, fmt.Sprintf("component %s is empty", cur.id))
		}
	case depth == 1 && cur.name.Space == NS && cur.name.Local == "data-stream":
		var s streamXML
		b := withNS(o.data[cur.start:end], missingNS(o.rootNS, cur.decls))
		if err := scap.Decode(b, &s); err != nil {
			return o.errAt(cur.start, fmt.Sprintf("data-stream: %v", err))
		}
		o.c.addStream(s)
	}
	return nil
}

// tagEnd returns the offset just past the '>' closing the start tag at
// at, honouring quoted attribute values.
func (o *outline) tagEnd(at int) (int, error) {
	if e := scap.TagEnd(o.data, at); e > 0 {
		return e, nil
	}
	return 0, o.errAt(at, "unterminated start tag")
}

func tagName(tag []byte) []byte {
	k := 1
	for k < len(tag) {
		switch tag[k] {
		case ' ', '\t', '\r', '\n', '/', '>':
			return tag[1:k]
		}
		k++
	}
	return tag[1:k]
}

// rawStart decodes one start tag without resolving namespaces.
func rawStart(tag []byte) (xml.StartElement, error) {
	d := scap.NewDecoder(bytes.NewReader(tag))
	t, err := d.RawToken()
	if err != nil {
		return xml.StartElement{}, err
	}
	el, ok := t.(xml.StartElement)
	if !ok {
		return xml.StartElement{}, fmt.Errorf("not a start tag")
	}
	return el, nil
}

// resolve maps a raw prefix:local name to its namespace.
func resolve(n xml.Name, scope []xml.Attr) xml.Name {
	for _, a := range scope {
		if n.Space == "" && a.Name.Space == "" && a.Name.Local == "xmlns" || n.Space != "" && a.Name.Space == "xmlns" && a.Name.Local == n.Space {
			return xml.Name{Space: a.Value, Local: n.Local}
		}
	}
	return n // no declaration: no namespace, or an undeclared prefix that matches nothing
}

// errAt names the line and column of a byte offset.
func (o *outline) errAt(off int, msg string) error {
	if off > len(o.data) {
		off = len(o.data)
	}
	line := 1 + bytes.Count(o.data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(o.data[:off], '\n')
	return fmt.Errorf("line %d:%d: %s", line, col, msg)
}
