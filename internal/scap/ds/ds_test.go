package ds

import (
	"os"
	"strings"
	"testing"
)

const small = `<?xml version="1.0"?>
<ds:data-stream-collection xmlns:ds="http://scap.nist.gov/schema/scap/source/1.2" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:x="urn:x" id="c">
  <ds:data-stream id="s" scap-version="1.3">
    <ds:checklists><ds:component-ref id="cref" xlink:href="#comp"/></ds:checklists>
  </ds:data-stream>
  <ds:component id="comp"><x:root a="1"><x:child/></x:root></ds:component>
</ds:data-stream-collection>`

func TestParseKeepsNamespaces(t *testing.T) {
	c, err := Parse([]byte(small))
	if err != nil {
		t.Fatal(err)
	}
	comp, err := c.Resolve(c.Streams[0].Checklists[0])
	if err != nil {
		t.Fatal(err)
	}
	if comp.Root.Space != "urn:x" || comp.Root.Local != "root" {
		t.Errorf("root = %v", comp.Root)
	}
	root, err := RootOf(comp.Standalone())
	if err != nil || root.Space != "urn:x" {
		t.Errorf("component bytes do not parse on their own: %v %v\n%s", root, err, comp.Data)
	}
}

func TestParseRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"entity":   `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x/>`,
		"not ds":   `<x/>`,
		"no close": strings.TrimSuffix(small, "</ds:data-stream-collection>"),
		"remote":   strings.Replace(small, `xlink:href="#comp"`, `xlink:href="http://example.com/x.xml"`, 1),
	} {
		c, err := Parse([]byte(doc))
		if err == nil {
			_, err = c.Resolve(c.Streams[0].Checklists[0])
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(small))
	if b, err := os.ReadFile("../xccdf/testdata/ds.xml"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		for _, s := range c.Streams {
			for _, refs := range [][]ComponentRef{s.Checklists, s.Checks, s.Dictionaries} {
				for _, r := range refs {
					if comp, err := c.Resolve(r); err == nil {
						_, _ = RootOf(comp.Standalone())
					}
					for name := range r.Catalog {
						_, _ = c.ResolveCatalog(r, name)
					}
				}
			}
		}
	})
}

// TestOutlineSkipsMarkup: the outline scan finds components by their
// tags only, never inside comments, CDATA, processing instructions or
// quoted attribute values.
func TestOutlineSkipsMarkup(t *testing.T) {
	doc := strings.Replace(small, `<ds:component id="comp">`,
		`<!-- <ds:component id="fake"><x:no/></ds:component> -->
  <?pi <ds:component id="pi"> ?>
  <ds:component id="comp" note="a > b &amp; '/>'">`, 1)
	doc = strings.Replace(doc, `<x:child/>`, `<x:child><![CDATA[</x:root></ds:component>]]></x:child>`, 1)
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.comps) != 1 {
		t.Errorf("components = %v", c.comps)
	}
	comp, err := c.Resolve(c.Streams[0].Checklists[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(comp.Standalone()), "]]></x:child></x:root>") {
		t.Errorf("component bytes = %s", comp.Data)
	}
	if root, err := RootOf(comp.Standalone()); err != nil || root.Space != "urn:x" {
		t.Errorf("root = %v, %v", root, err)
	}
}

func TestOutlineRefusesMalformed(t *testing.T) {
	for name, doc := range map[string]string{
		"mismatch":      strings.Replace(small, `</x:root>`, `</x:rot>`, 1),
		"doctype":       strings.Replace(small, `<ds:component id="comp">`, `<!DOCTYPE x><ds:component id="comp">`, 1),
		"empty":         strings.Replace(small, `<x:root a="1"><x:child/></x:root>`, ``, 1),
		"open comment":  strings.Replace(small, `<ds:component`, `<!-- <ds:component`, 1),
		"open tag":      strings.TrimSuffix(small, `</ds:data-stream-collection>`) + `<ds:x a="`,
		"no datastream": strings.Replace(small, `ds:data-stream id`, `ds:other id`, 1),
		"deep":          strings.Replace(small, `<x:child/>`, strings.Repeat("<a>", 300)+strings.Repeat("</a>", 300), 1),
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if name == "mismatch" && !strings.Contains(err.Error(), "line 6:") {
			t.Errorf("%s: error without the line: %v", name, err)
		}
	}
}
