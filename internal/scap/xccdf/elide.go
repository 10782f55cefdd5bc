package xccdf

import (
	"bytes"
	"encoding/xml"

	"github.com/cradle-cra/cradle/internal/scap"
	"github.com/cradle-cra/cradle/internal/scap/ds"
)

// elideFixes returns the benchmark with the content of its fix elements
// dropped (each becomes an empty element with its attributes). SSG's
// remediation scripts are a third of a benchmark's bytes and cradle never
// runs them, yet decoding tokenized every byte of them. Only the plain
// case is rewritten: the XCCDF prefix declared once (on the root), no
// comments and no CDATA sections; anything else is returned unchanged and
// decoded in full.
func elideFixes(data []byte) []byte {
	if bytes.Contains(data, []byte("<!--")) || bytes.Contains(data, []byte("<![CDATA[")) {
		return data
	}
	var el xml.StartElement
	d := scap.NewDecoder(bytes.NewReader(data))
	for el.Name.Local == "" {
		t, err := d.RawToken()
		if err != nil {
			return data
		}
		switch v := t.(type) {
		case xml.StartElement:
			el = v
		case xml.Directive:
			return data
		}
	}
	prefix, decl := "", []byte("xmlns=")
	for _, a := range el.Attr {
		if a.Name.Space == "xmlns" && a.Value == NS {
			prefix, decl = a.Name.Local+":", []byte("xmlns:"+a.Name.Local+"=")
		}
	}
	if prefix == "" && el.Name.Space != "" || bytes.Count(data, decl) != 1 {
		return data
	}
	open, end := []byte("<"+prefix+"fix"), []byte("</"+prefix+"fix>")
	var out bytes.Buffer
	pos := 0
	for {
		i := bytes.Index(data[pos:], open)
		if i < 0 {
			break
		}
		at := pos + i
		after := at + len(open)
		if after >= len(data) || !bytes.ContainsRune([]byte(" \t\r\n/>"), rune(data[after])) {
			out.Write(data[pos:after]) // fixtext, fix-something
			pos = after
			continue
		}
		tagEnd := ds.TagEnd(data, after-1)
		if tagEnd < 0 {
			return data
		}
		if data[tagEnd-2] == '/' {
			out.Write(data[pos:tagEnd])
			pos = tagEnd
			continue
		}
		j := bytes.Index(data[tagEnd:], end)
		if j < 0 || bytes.Contains(data[tagEnd:tagEnd+j], open) {
			return data // unclosed or nested: leave it to the decoder
		}
		if out.Len() == 0 {
			out.Grow(len(data))
		}
		out.Write(data[pos : tagEnd-1])
		out.WriteString("/>")
		pos = tagEnd + j + len(end)
	}
	if pos == 0 {
		return data
	}
	out.Write(data[pos:])
	return out.Bytes()
}
