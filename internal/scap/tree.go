package scap

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cradle-cra/cradle/internal/xmlsafe"
)

// Node is an element read by ParseTree. Character data is kept the way
// the document interleaves it with elements: Text before the first child,
// each child's Tail after it, so mixed content (XHTML in XCCDF texts)
// keeps its order.
type Node struct {
	Name  xml.Name   // namespace resolved, as encoding/xml names it
	Attr  []xml.Attr // as encoding/xml gives them (xmlns declarations included)
	First *Node      // first child
	Next  *Node      // next sibling
	last  *Node
	Text  string // character data before the first child
	Tail  string // character data after this element, before its next sibling
	Line  int
}

// AttrValue returns the value of the attribute named local (any
// namespace; the last one wins, as encoding/xml's unmarshalling does).
func (n *Node) AttrValue(local string) string {
	v := ""
	for _, a := range n.Attr {
		if a.Name.Local == local {
			v = a.Value
		}
	}
	return v
}

// CharData returns the character data directly inside n (its children's
// text left out), as encoding/xml's ",chardata" collects it.
func (n *Node) CharData() string {
	if n.First == nil {
		return n.Text
	}
	var b strings.Builder
	b.WriteString(n.Text)
	for k := n.First; k != nil; k = k.Next {
		b.WriteString(k.Tail)
	}
	return b.String()
}

// TreeOptions bound ParseTree (zero fields take xmlsafe's defaults) and
// say what it need not keep.
type TreeOptions struct {
	MaxDepth  int
	MaxTokens int64 // elements, text runs, comments and processing instructions
	// Scope are namespace declarations in scope around data (a data-stream
	// component's ancestors'), so a component is read where it lies
	// instead of being copied to declare them on its root.
	Scope []xml.Attr
	// Skip names elements whose content is not kept (XCCDF fix scripts,
	// a third of SSG's benchmarks, which cradle never runs): the element
	// keeps its attributes and its content is passed over to the matching
	// end tag. Content that could hide that end tag (comments, CDATA,
	// processing instructions, a nested element of the same name) is read
	// normally instead.
	Skip func(xml.Name) bool
}

// ParseTree reads the first element of data into a tree. It is a strict,
// bounded reader written for speed over the whole input in memory (the
// encoding/xml tokenizer reads byte by byte and was most of the cost of
// loading SCAP content): it accepts what encoding/xml accepts in strict
// mode with only the predefined entities (well-formed, matching end tags,
// valid UTF-8 and XML characters), refuses entity declarations and any
// internal DTD subset, and bounds nesting depth and the number of tokens.
// Errors are *xmlsafe.Error values with a line and column.
func ParseTree(data []byte, lim TreeOptions) (*Node, error) {
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = xmlsafe.DefaultMaxDepth
	}
	if lim.MaxTokens <= 0 {
		lim.MaxTokens = xmlsafe.DefaultMaxTokens
	}
	if len(data) >= 2*splitMin && runtime.GOMAXPROCS(0) > 1 {
		if root, ok := parseParallel(data, lim); ok {
			return root, nil
		}
		// Anything unusual (comments, CDATA, an error) is read, and
		// reported, by the sequential reader.
	}
	return newTreeParser(data, lim).run(0)
}

func newTreeParser(data []byte, lim TreeOptions) *treeParser {
	p := &treeParser{data: data, lim: lim, line: 1, intern: map[string]string{}}
	for _, a := range lim.Scope {
		switch {
		case a.Name.Space == "xmlns":
			p.ns = append(p.ns, binding{a.Name.Local, a.Value})
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			p.ns = append(p.ns, binding{"", a.Value})
		}
	}
	return p
}

type treeParser struct {
	data    []byte
	lim     TreeOptions
	tokens  int64
	line    int // line of lineAt
	lineAt  int
	intern  map[string]string
	nodes   []Node     // slab the nodes are cut from
	attrs   []xml.Attr // slab of attribute slices
	ns      []binding  // namespace declarations in scope, innermost last
	stack   []open
	scratch []byte
	first   *Node // the node the first element fills (a parallel job's)
	end     int   // offset past the first element, once read
}

type binding struct{ prefix, uri string }

type open struct {
	n   *Node
	raw []byte // name as written, matched by the end tag
	ns  int    // len(ns) before the element's declarations
}

const xmlURL = "http://www.w3.org/XML/1998/namespace"

func (p *treeParser) errAt(off int, format string, args ...any) error {
	if off > len(p.data) {
		off = len(p.data)
	}
	line := 1 + bytes.Count(p.data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(p.data[:off], '\n')
	return &xmlsafe.Error{Line: line, Col: col, Err: fmt.Errorf(format, args...)}
}

func (p *treeParser) token(at int) error {
	if p.tokens++; p.tokens > p.lim.MaxTokens {
		return p.errAt(at, "%w (more than %d)", xmlsafe.ErrTooManyTokens, p.lim.MaxTokens)
	}
	return nil
}

// run reads the first element at or after pos.
func (p *treeParser) run(pos int) (*Node, error) {
	data := p.data
	var root *Node
	for {
		i := bytes.IndexByte(data[pos:], '<')
		if i < 0 {
			if len(p.stack) > 0 {
				return nil, p.errAt(len(data), "unexpected end of document")
			}
			return nil, p.errAt(len(data), "no XML element")
		}
		if i > 0 && len(p.stack) > 0 {
			if err := p.chars(pos, data[pos:pos+i], false); err != nil {
				return nil, err
			}
		}
		at := pos + i
		if err := p.token(at); err != nil {
			return nil, err
		}
		rest := data[at:]
		var err error
		switch {
		case bytes.HasPrefix(rest, []byte("</")):
			pos, err = p.endTag(at)
			if err == nil && len(p.stack) == 0 {
				p.end = pos
				return root, nil
			}
		case bytes.HasPrefix(rest, []byte("<!--")):
			pos, err = p.comment(at)
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			j := bytes.Index(rest, []byte("]]>"))
			if j < 0 {
				return nil, p.errAt(at, "unexpected EOF in CDATA section")
			}
			if len(p.stack) == 0 {
				return nil, p.errAt(at, "CDATA section outside the root element")
			}
			err = p.chars(at+9, rest[9:j], true)
			pos = at + j + 3
		case bytes.HasPrefix(rest, []byte("<!")):
			pos, err = p.directive(at)
		case bytes.HasPrefix(rest, []byte("<?")):
			pos, err = p.procInst(at)
		default:
			var n *Node
			var self bool
			n, pos, self, err = p.startTag(at)
			if err == nil && root == nil {
				root = n
			}
			if err == nil && self && len(p.stack) == 0 {
				p.end = pos
				return root, nil
			}
		}
		if err != nil {
			return nil, err
		}
	}
}

func (p *treeParser) comment(at int) (int, error) {
	j := bytes.Index(p.data[at+4:], []byte("--"))
	if j < 0 {
		return 0, p.errAt(at, "unexpected EOF in comment")
	}
	end := at + 4 + j
	if end+2 >= len(p.data) || p.data[end+2] != '>' {
		return 0, p.errAt(end, `invalid sequence "--" not allowed in comments`)
	}
	return end + 3, nil
}

// directive refuses DOCTYPEs inside the root and any DTD that may declare
// entities; a plain DOCTYPE before the root (naming an external DTD,
// which is never read) is skipped.
func (p *treeParser) directive(at int) (int, error) {
	end := bytes.IndexByte(p.data[at:], '>')
	if end < 0 || len(p.stack) > 0 {
		return 0, p.errAt(at, "DOCTYPE and entity declarations are refused")
	}
	d := p.data[at : at+end+1]
	if bytes.Contains(d, []byte("ENTITY")) || bytes.IndexByte(d, '[') >= 0 {
		return 0, p.errAt(at, "%w", xmlsafe.ErrEntity)
	}
	return at + end + 1, nil
}

// procInst skips a processing instruction, checking an XML declaration as
// encoding/xml does (version 1.0, UTF-8 only).
func (p *treeParser) procInst(at int) (int, error) {
	j := bytes.Index(p.data[at+2:], []byte("?>"))
	if j < 0 {
		return 0, p.errAt(at, "unexpected EOF in processing instruction")
	}
	body := p.data[at+2 : at+2+j]
	target := body
	if k := bytes.IndexAny(body, " \t\r\n"); k >= 0 {
		target = body[:k]
	}
	if len(target) == 0 {
		return 0, p.errAt(at, "processing instruction without a target")
	}
	if string(target) == "xml" {
		content := string(body[len(target):])
		if v := procInstParam("version", content); v != "" && v != "1.0" {
			return 0, p.errAt(at, "unsupported version %q; only version 1.0 is supported", v)
		}
		if enc := procInstParam("encoding", content); enc != "" && !strings.EqualFold(enc, "utf-8") && !strings.EqualFold(enc, "utf8") {
			return 0, p.errAt(at, "encoding %q declared: only UTF-8 is read", enc)
		}
	}
	return at + 2 + j + 2, nil
}

// procInstParam returns the value of param in an XML declaration.
func procInstParam(param, s string) string {
	i := strings.Index(s, param+"=")
	if i < 0 {
		return ""
	}
	v := s[i+len(param)+1:]
	if v == "" {
		return ""
	}
	q := v[0]
	if q != '"' && q != '\'' {
		return ""
	}
	if j := strings.IndexByte(v[1:], q); j >= 0 {
		return v[1 : 1+j]
	}
	return ""
}

func (p *treeParser) endTag(at int) (int, error) {
	j := bytes.IndexByte(p.data[at:], '>')
	if j < 0 {
		return 0, p.errAt(at, "unexpected EOF in end tag")
	}
	name := bytes.TrimRight(p.data[at+2:at+j], " \t\r\n")
	if len(p.stack) == 0 {
		return 0, p.errAt(at, "unexpected end element </%s>", name)
	}
	top := p.stack[len(p.stack)-1]
	if !bytes.Equal(name, top.raw) {
		return 0, p.errAt(at, "element <%s> closed by </%s>", top.raw, name)
	}
	p.stack = p.stack[:len(p.stack)-1]
	p.ns = p.ns[:top.ns]
	return at + j + 1, nil
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// nameEnd returns the end of the XML name starting at data[i], or i when
// there is none.
func nameEnd(data []byte, i int) int {
	k := i
	for k < len(data) {
		c := data[k]
		if c < utf8.RuneSelf {
			if c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' ||
				k > i && (c == '-' || c == '.' || '0' <= c && c <= '9') {
				k++
				continue
			}
			break
		}
		r, size := utf8.DecodeRune(data[k:])
		if r == utf8.RuneError || !(r == 0xB7 || r >= 0xC0 && r != 0xD7 && r != 0xF7) {
			break
		}
		k += size
	}
	return k
}

func (p *treeParser) str(b []byte) string {
	if s, ok := p.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(p.intern) < 4096 {
		p.intern[s] = s
	}
	return s
}

func (p *treeParser) newNode() *Node {
	if p.first != nil {
		n := p.first
		p.first = nil
		return n
	}
	if len(p.nodes) == 0 {
		p.nodes = make([]Node, 256)
	}
	n := &p.nodes[0]
	p.nodes = p.nodes[1:]
	return n
}

func (p *treeParser) startTag(at int) (*Node, int, bool, error) {
	data := p.data
	ne := nameEnd(data, at+1)
	if ne == at+1 {
		return nil, 0, false, p.errAt(at, "expected element name after <")
	}
	raw := data[at+1 : ne]
	if len(p.stack) >= p.lim.MaxDepth {
		return nil, 0, false, p.errAt(at, "%w (more than %d)", xmlsafe.ErrTooDeep, p.lim.MaxDepth)
	}
	n := p.newNode()
	p.line += bytes.Count(data[p.lineAt:at], []byte("\n"))
	p.lineAt = at
	n.Line = p.line
	nsMark := len(p.ns)
	// Attributes, collected into scratch first: their prefixes resolve
	// against declarations that may follow them in the tag.
	start := len(p.attrs)
	if cap(p.attrs)-start < 32 {
		p.attrs = make([]xml.Attr, 0, 1024)
		start = 0
	}
	pos := ne
	self := false
	for {
		s := pos
		for pos < len(data) && isSpace(data[pos]) {
			pos++
		}
		if pos >= len(data) {
			return nil, 0, false, p.errAt(at, "unexpected EOF in start tag")
		}
		c := data[pos]
		if c == '>' {
			pos++
			break
		}
		if c == '/' {
			if pos+1 >= len(data) || data[pos+1] != '>' {
				return nil, 0, false, p.errAt(pos, "expected /> in element")
			}
			pos += 2
			self = true
			break
		}
		if pos == s {
			return nil, 0, false, p.errAt(pos, "expected white space or > in element")
		}
		ae := nameEnd(data, pos)
		if ae == pos {
			return nil, 0, false, p.errAt(pos, "expected attribute name in element")
		}
		aname := data[pos:ae]
		pos = ae
		for pos < len(data) && isSpace(data[pos]) {
			pos++
		}
		if pos >= len(data) || data[pos] != '=' {
			return nil, 0, false, p.errAt(pos, "attribute name without = in element")
		}
		pos++
		for pos < len(data) && isSpace(data[pos]) {
			pos++
		}
		if pos >= len(data) || data[pos] != '"' && data[pos] != '\'' {
			return nil, 0, false, p.errAt(pos, "unquoted or missing attribute value in element")
		}
		q := data[pos]
		j := bytes.IndexByte(data[pos+1:], q)
		if j < 0 {
			return nil, 0, false, p.errAt(pos, "unexpected EOF in attribute value")
		}
		rawVal := data[pos+1 : pos+1+j]
		if bytes.IndexByte(rawVal, '<') >= 0 {
			return nil, 0, false, p.errAt(pos, "unescaped < inside quoted string")
		}
		val, err := p.decodeText(pos+1, rawVal)
		if err != nil {
			return nil, 0, false, err
		}
		pos += j + 2
		a := xml.Attr{Name: splitName(p.str(aname)), Value: val}
		if a.Name.Space == "xmlns" {
			p.ns = append(p.ns, binding{a.Name.Local, a.Value})
		} else if a.Name.Space == "" && a.Name.Local == "xmlns" {
			p.ns = append(p.ns, binding{"", a.Value})
		}
		p.attrs = append(p.attrs, a)
	}
	if k := len(p.attrs); k > start {
		n.Attr = p.attrs[start:k:k]
		for i := range n.Attr {
			a := &n.Attr[i]
			if a.Name.Space != "" && a.Name.Space != "xmlns" {
				a.Name.Space = p.resolve(a.Name.Space)
			}
		}
	}
	n.Name = splitName(p.str(raw))
	if n.Name.Space != "xmlns" {
		n.Name.Space = p.resolve(n.Name.Space)
	}
	if len(p.stack) > 0 {
		parent := p.stack[len(p.stack)-1].n
		if parent.last == nil {
			parent.First = n
		} else {
			parent.last.Next = n
		}
		parent.last = n
	}
	if self {
		p.ns = p.ns[:nsMark]
		return n, pos, self, nil
	}
	if p.lim.Skip != nil && p.lim.Skip(n.Name) {
		if end := p.skipTo(pos, raw); end > 0 {
			p.ns = p.ns[:nsMark]
			return n, end, true, nil
		}
	}
	p.stack = append(p.stack, open{n: n, raw: raw, ns: nsMark})
	return n, pos, self, nil
}

// skipTo returns the offset past the end tag </raw> closing an element
// whose content starts at pos, or -1 when the content must be read (it
// holds markup that could hide or fake that end tag).
func (p *treeParser) skipTo(pos int, raw []byte) int {
	data := p.data
	k := pos
	for {
		i := bytes.IndexByte(data[k:], '<')
		if i < 0 {
			return -1
		}
		k += i
		switch {
		case k+1 < len(data) && data[k+1] == '/':
			if bytes.HasPrefix(data[k+2:], raw) {
				e := k + 2 + len(raw)
				for e < len(data) && isSpace(data[e]) {
					e++
				}
				if e < len(data) && data[e] == '>' {
					if err := p.token(k); err != nil {
						return -1
					}
					return e + 1
				}
			}
		case k+1 < len(data) && (data[k+1] == '!' || data[k+1] == '?'):
			return -1
		case bytes.HasPrefix(data[k+1:], raw) && k+1+len(raw) < len(data) && !isNameByte(data[k+1+len(raw)]):
			return -1 // nested element of the same name
		}
		k++
	}
}

func isNameByte(c byte) bool {
	return c == '_' || c == ':' || c == '-' || c == '.' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= utf8.RuneSelf
}

// splitName splits prefix:local as encoding/xml does.
func splitName(s string) xml.Name {
	if i := strings.IndexByte(s, ':'); i >= 1 && i <= len(s)-2 {
		return xml.Name{Space: s[:i], Local: s[i+1:]}
	}
	return xml.Name{Local: s}
}

// resolve maps a prefix ("" for the default namespace) to its namespace;
// an undeclared prefix stays as written, as encoding/xml leaves it.
func (p *treeParser) resolve(prefix string) string {
	if prefix == "xml" {
		return xmlURL
	}
	for i := len(p.ns) - 1; i >= 0; i-- {
		if p.ns[i].prefix == prefix {
			return p.ns[i].uri
		}
	}
	return prefix
}

// chars adds character data to the open element.
func (p *treeParser) chars(off int, raw []byte, cdata bool) error {
	var s string
	var err error
	if cdata {
		s, err = p.cdata(off, raw)
	} else {
		s, err = p.decodeText(off, raw)
	}
	if err != nil || s == "" {
		return err
	}
	if err := p.token(off); err != nil {
		return err
	}
	top := p.stack[len(p.stack)-1].n
	dst := &top.Text
	if top.last != nil {
		dst = &top.last.Tail
	}
	if *dst == "" {
		*dst = s
	} else {
		*dst += s
	}
	return nil
}

func (p *treeParser) cdata(off int, raw []byte) (string, error) {
	if err := p.checkChars(off, raw); err != nil {
		return "", err
	}
	if bytes.IndexByte(raw, '\r') < 0 {
		return string(raw), nil
	}
	return string(crlf(nil, raw)), nil
}

// checkChars refuses invalid UTF-8 and characters outside XML's range.
func (p *treeParser) checkChars(off int, raw []byte) error {
	ascii := true
	for k := 0; k < len(raw); {
		// Eight bytes at a time when none is a control character or
		// non-ASCII (most of SCAP content).
		if k+8 <= len(raw) {
			w := binary.LittleEndian.Uint64(raw[k:])
			if (w-0x2020202020202020)&^w&0x8080808080808080 == 0 && w&0x8080808080808080 == 0 {
				k += 8
				continue
			}
		}
		for end := min(k+8, len(raw)); k < end; k++ {
			c := raw[k]
			if c < 0x20 {
				if c != '\t' && c != '\n' && c != '\r' {
					return p.errAt(off+k, "illegal character code %U", rune(c))
				}
			} else if c >= utf8.RuneSelf {
				ascii = false
			}
		}
	}
	if ascii {
		return nil
	}
	for k := 0; k < len(raw); {
		if raw[k] < utf8.RuneSelf {
			k++
			continue
		}
		r, size := utf8.DecodeRune(raw[k:])
		if r == utf8.RuneError && size == 1 {
			return p.errAt(off+k, "invalid UTF-8")
		}
		if r == 0xFFFE || r == 0xFFFF {
			return p.errAt(off+k, "illegal character code %U", r)
		}
		k += size
	}
	return nil
}

// crlf appends raw to dst with line ends normalised to "\n".
func crlf(dst, raw []byte) []byte {
	for k := 0; k < len(raw); k++ {
		c := raw[k]
		if c == '\r' {
			if k+1 < len(raw) && raw[k+1] == '\n' {
				continue
			}
			c = '\n'
		}
		dst = append(dst, c)
	}
	return dst
}

// decodeText returns character data or an attribute value with entity and
// character references replaced and line ends normalised.
func (p *treeParser) decodeText(off int, raw []byte) (string, error) {
	if err := p.checkChars(off, raw); err != nil {
		return "", err
	}
	amp := bytes.IndexByte(raw, '&')
	if amp < 0 && bytes.IndexByte(raw, '\r') < 0 {
		if len(raw) <= 16 {
			return p.str(raw), nil
		}
		return string(raw), nil
	}
	b := p.scratch[:0]
	for k := 0; k < len(raw); {
		amp := bytes.IndexByte(raw[k:], '&')
		if amp < 0 {
			b = crlf(b, raw[k:])
			break
		}
		b = crlf(b, raw[k:k+amp])
		k += amp
		semi := bytes.IndexByte(raw[k:], ';')
		if semi < 0 || semi > 12 {
			return "", p.errAt(off+k, "invalid character entity (no semicolon)")
		}
		ref := string(raw[k+1 : k+semi])
		switch ref {
		case "lt":
			b = append(b, '<')
		case "gt":
			b = append(b, '>')
		case "amp":
			b = append(b, '&')
		case "apos":
			b = append(b, '\'')
		case "quot":
			b = append(b, '"')
		default:
			r, ok := charRef(ref)
			if !ok {
				return "", p.errAt(off+k, "invalid character entity &%s;", ref)
			}
			b = utf8.AppendRune(b, r)
		}
		k += semi + 1
	}
	p.scratch = b
	return string(b), nil
}

// charRef decodes "#123" or "#x7b".
func charRef(ref string) (rune, bool) {
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	var n uint64
	var err error
	if ref[1] == 'x' {
		n, err = strconv.ParseUint(ref[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(ref[1:], 10, 32)
	}
	if err != nil || n > utf8.MaxRune {
		return 0, false
	}
	return rune(n), true
}
