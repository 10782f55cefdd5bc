package oval

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cradle-cra/cradle/internal/xmlsafe"
)

// stdParse reads data with the encoding/xml tree reader: the reference
// the scap.ParseTree reader must agree with.
func stdParse(t *testing.T, data []byte) *Document {
	t.Helper()
	d := xmlsafe.NewDecoder(bytes.NewReader(data), xmlsafe.Limits{})
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "oval_definitions" {
			doc, err := DecodeElement(d.Decoder, se)
			if err != nil {
				t.Fatal(err)
			}
			return doc
		}
	}
}

// zeroLines clears the line numbers of kept nodes: the readers place a
// start tag at its first and at its last line respectively.
func zeroLines(n *node) {
	if n == nil {
		return
	}
	n.line = 0
	if len(n.attrs) == 0 {
		n.attrs = nil
	}
	for _, k := range n.kids {
		zeroLines(k)
	}
}

func TestParseAgreesWithEncodingXML(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.xml")
	ssg, _ := filepath.Glob(filepath.Join(ssgDir, "*/root/usr/share/xml/scap/ssg/content/ssg-debian1[12]-oval.xml"))
	if testing.Short() {
		ssg = nil
	}
	for _, f := range append(files, ssg...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseBytes(data, nil, xmlsafe.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		want := stdParse(t, data)
		for _, doc := range []*Document{got, want} {
			for _, v := range doc.Variables {
				zeroLines(v.component)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the readers disagree", f)
		}
	}
}
