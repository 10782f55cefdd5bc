// Package ds reads SCAP 1.2/1.3 source data-stream collections: the data
// streams with their component-refs and catalogs, and the byte ranges of
// the components they point to, so each component is parsed by the reader
// of its own standard.
package ds

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/cradle-cra/cradle/internal/scap"
)

// Namespaces of a source data stream.
const (
	NS      = "http://scap.nist.gov/schema/scap/source/1.2"
	nsXlink = "http://www.w3.org/1999/xlink"
	nsCat   = "urn:oasis:names:tc:entity:xmlns:xml:catalog"
)

// Collection is a parsed data-stream-collection.
type Collection struct {
	ID      string
	Streams []Stream
	data    []byte
	comps   map[string]span   // component id → inner root element
	refs    map[string]string // component-ref id → component id
	mu      sync.Mutex
	cache   map[string]Component // resolved components, by id
}

type span struct {
	start, end int
	root       xml.Name
	// ns are the namespace declarations in scope that the component's root
	// does not make itself: they are added to its start tag, so the bytes
	// parse on their own.
	ns []xml.Attr
}

// Stream is one data-stream.
type Stream struct {
	ID           string
	SCAPVersion  string
	Dictionaries []ComponentRef
	Checklists   []ComponentRef
	Checks       []ComponentRef
}

// ComponentRef points to a component; its catalog maps the names the
// component uses (an XCCDF check-content-ref href, a CPE check href) to
// other component-refs ("#cref-id").
type ComponentRef struct {
	ID      string
	Href    string // "#component-id"
	Catalog map[string]string
}

// Component is a component's root element and its bytes.
type Component struct {
	ID   string
	Root xml.Name
	// Data is the element as it lies in the collection (not copied); NS
	// are the namespace declarations in scope there that it does not make
	// itself: scap.ParseTree reads Data with TreeOptions.Scope = NS, and
	// Standalone returns bytes that parse on their own.
	Data []byte
	NS   []xml.Attr
}

// Standalone returns the component's bytes with the namespace
// declarations of its ancestors added to its root's start tag.
func (c Component) Standalone() []byte { return withNS(c.Data, c.NS) }

// ErrRemote marks a reference to content outside the data stream, which
// cradle never fetches.
var ErrRemote = errors.New("content outside the data stream is never fetched")

// IsCollection reports whether name is the root of a data-stream collection.
func IsCollection(name xml.Name) bool {
	return name.Space == NS && name.Local == "data-stream-collection"
}

// Parse reads a data-stream collection from data. Components are located,
// not parsed: their bytes are kept for the reader of their standard.
func Parse(data []byte) (*Collection, error) {
	d := scap.NewDecoder(bytes.NewReader(data))
	c := &Collection{data: data, comps: map[string]span{}, refs: map[string]string{}}
	root, err := firstRawStart(d)
	if err != nil {
		return nil, err
	}
	rootNS := nsDecls(root)
	if !IsCollection(resolve(root.Name, rootNS)) {
		return nil, fmt.Errorf("root element is %s, not a %s data-stream-collection", root.Name.Local, NS)
	}
	c.ID = attr(root, "", "id")
	raw := root.Name.Local
	if root.Name.Space != "" {
		raw = root.Name.Space + ":" + raw
	}
	o := &outline{c: c, data: data, rootNS: rootNS, rootRaw: []byte(raw)}
	if err := o.run(int(d.InputOffset())); err != nil {
		return nil, err
	}
	if len(c.Streams) == 0 {
		return nil, fmt.Errorf("the collection has no data-stream")
	}
	return c, nil
}

type streamXML struct {
	ID           string   `xml:"id,attr"`
	SCAPVersion  string   `xml:"scap-version,attr"`
	Dictionaries []refXML `xml:"http://scap.nist.gov/schema/scap/source/1.2 dictionaries>component-ref"`
	Checklists   []refXML `xml:"http://scap.nist.gov/schema/scap/source/1.2 checklists>component-ref"`
	Checks       []refXML `xml:"http://scap.nist.gov/schema/scap/source/1.2 checks>component-ref"`
}

type refXML struct {
	ID   string   `xml:"id,attr"`
	Href string   `xml:"http://www.w3.org/1999/xlink href,attr"`
	URIs []uriXML `xml:"urn:oasis:names:tc:entity:xmlns:xml:catalog catalog>uri"`
}

type uriXML struct {
	Name string `xml:"name,attr"`
	URI  string `xml:"uri,attr"`
}

func (c *Collection) addStream(s streamXML) {
	conv := func(in []refXML) []ComponentRef {
		out := make([]ComponentRef, 0, len(in))
		for _, r := range in {
			cr := ComponentRef{ID: r.ID, Href: r.Href, Catalog: map[string]string{}}
			for _, u := range r.URIs {
				cr.Catalog[u.Name] = u.URI
			}
			c.refs[r.ID] = r.Href
			out = append(out, cr)
		}
		return out
	}
	c.Streams = append(c.Streams, Stream{ID: s.ID, SCAPVersion: s.SCAPVersion,
		Dictionaries: conv(s.Dictionaries), Checklists: conv(s.Checklists), Checks: conv(s.Checks)})
}

// Resolve returns the component a component-ref points to. Only local
// references ("#id") are followed: a data stream never makes cradle fetch
// anything.
func (c *Collection) Resolve(ref ComponentRef) (Component, error) {
	return c.component1(ref.Href, ref.ID)
}

// ResolveCatalog follows a name through a component-ref's catalog
// ("ssg-debian11-oval.xml" → "#cref" → component).
func (c *Collection) ResolveCatalog(ref ComponentRef, name string) (Component, error) {
	uri, ok := ref.Catalog[name]
	if !ok {
		return Component{}, fmt.Errorf("%q is not in the catalog of %s", name, ref.ID)
	}
	if !strings.HasPrefix(uri, "#") {
		return Component{}, fmt.Errorf("%q maps to %s: %w", name, uri, ErrRemote)
	}
	crefID := uri[1:]
	href, ok := c.refs[crefID]
	if !ok {
		return Component{}, fmt.Errorf("%q maps to component-ref %q, which no data stream declares", name, crefID)
	}
	return c.component1(href, crefID)
}

func (c *Collection) component1(href, what string) (Component, error) {
	if !strings.HasPrefix(href, "#") {
		return Component{}, fmt.Errorf("component-ref %s points to %s: %w", what, href, ErrRemote)
	}
	id := href[1:]
	c.mu.Lock()
	defer c.mu.Unlock()
	if comp, ok := c.cache[id]; ok {
		return comp, nil
	}
	sp, ok := c.comps[id]
	if !ok {
		return Component{}, fmt.Errorf("component-ref %s: no component %q", what, id)
	}
	comp := Component{ID: id, Root: sp.root, Data: c.data[sp.start:sp.end:sp.end], NS: sp.ns}
	if c.cache == nil {
		c.cache = map[string]Component{}
	}
	c.cache[id] = comp
	return comp, nil
}

// nsDecls returns the namespace declarations of an element.
func nsDecls(el xml.StartElement) []xml.Attr {
	var out []xml.Attr
	for _, a := range el.Attr {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			out = append(out, a)
		}
	}
	return out
}

// mergeNS returns outer overridden by inner.
func mergeNS(outer, inner []xml.Attr) []xml.Attr {
	return append(missingNS(outer, inner), inner...)
}

// missingNS returns the declarations of scope whose prefix own does not
// declare.
func missingNS(scope, own []xml.Attr) []xml.Attr {
	var out []xml.Attr
	for _, a := range scope {
		dup := false
		for _, b := range own {
			dup = dup || b.Name == a.Name
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

// withNS inserts namespace declarations into the start tag that begins data.
func withNS(data []byte, ns []xml.Attr) []byte {
	if len(ns) == 0 {
		return data
	}
	i := bytes.IndexByte(data, '<')
	if i < 0 {
		return data
	}
	j := i + 1
	for j < len(data) && !strings.ContainsRune(" \t\r\n/>", rune(data[j])) {
		j++
	}
	var b bytes.Buffer
	b.Grow(len(data) + 64*len(ns))
	b.Write(data[:j])
	for _, a := range ns {
		name := "xmlns"
		if a.Name.Space == "xmlns" {
			name += ":" + a.Name.Local
		}
		b.WriteString(" " + name + `="`)
		_ = xml.EscapeText(&b, []byte(a.Value))
		b.WriteByte('"')
	}
	b.Write(data[j:])
	return b.Bytes()
}

// firstRawStart returns the first start tag as written (prefixes kept),
// refusing a DOCTYPE before it.
func firstRawStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		t, err := d.RawToken()
		if err == io.EOF {
			return xml.StartElement{}, fmt.Errorf("no XML element")
		}
		if err != nil {
			return xml.StartElement{}, scap.Pos(d, err)
		}
		switch el := t.(type) {
		case xml.Directive:
			return xml.StartElement{}, scap.Pos(d, fmt.Errorf("DOCTYPE and entity declarations are refused"))
		case xml.StartElement:
			return el, nil
		}
	}
}

func firstStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		t, err := scap.Token(d)
		if err == io.EOF {
			return xml.StartElement{}, fmt.Errorf("no XML element")
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		if s, ok := t.(xml.StartElement); ok {
			return s, nil
		}
	}
}

// RootOf returns the name of the first element of data.
func RootOf(data []byte) (xml.Name, error) {
	s, err := firstStart(scap.NewDecoder(bytes.NewReader(data)))
	return s.Name, err
}

func attr(el xml.StartElement, space, local string) string {
	for _, a := range el.Attr {
		if a.Name.Local == local && (space == "" || a.Name.Space == space) {
			return a.Value
		}
	}
	return ""
}
