package scap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/xmlsafe"
)

// stdTree reads data with encoding/xml (through xmlsafe) into the same
// shape, the reference ParseTree must agree with.
func stdTree(data []byte) (*Node, error) {
	d := xmlsafe.NewDecoder(bytes.NewReader(data), xmlsafe.Limits{})
	var stack []*Node
	var root *Node
	for {
		tok, err := d.Token()
		if err != nil {
			if err == io.EOF && root == nil {
				return nil, errors.New("no element")
			}
			return nil, d.Wrap(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &Node{Name: t.Name, Attr: t.Copy().Attr}
			if len(n.Attr) == 0 {
				n.Attr = nil
			}
			if len(stack) > 0 {
				par := stack[len(stack)-1]
				if par.last == nil {
					par.First = n
				} else {
					par.last.Next = n
				}
				par.last = n
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return root, nil
			}
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			top := stack[len(stack)-1]
			if top.last == nil {
				top.Text += string(t)
			} else {
				top.last.Tail += string(t)
			}
		case xml.Directive:
			if len(stack) > 0 {
				return nil, errors.New("directive inside the root")
			}
		}
	}
}

// sameTree describes the first difference between two trees.
func sameTree(a, b *Node, path string) error {
	path += "/" + a.Name.Local
	if a.Name != b.Name {
		return fmt.Errorf("%s: name %v != %v", path, a.Name, b.Name)
	}
	if fmt.Sprint(a.Attr) != fmt.Sprint(b.Attr) {
		return fmt.Errorf("%s: attrs %v != %v", path, a.Attr, b.Attr)
	}
	if a.Text != b.Text || a.Tail != b.Tail {
		return fmt.Errorf("%s: text %q/%q != %q/%q", path, a.Text, a.Tail, b.Text, b.Tail)
	}
	ka, kb := a.First, b.First
	for ka != nil && kb != nil {
		if err := sameTree(ka, kb, path); err != nil {
			return err
		}
		ka, kb = ka.Next, kb.Next
	}
	if ka != nil || kb != nil {
		return fmt.Errorf("%s: a different number of children", path)
	}
	return nil
}

func TestParseTreeAgreesWithEncodingXML(t *testing.T) {
	docs := []string{
		`<?xml version="1.0" encoding="UTF-8"?><!-- c --><a xmlns="urn:d" xmlns:p="urn:p" p:x="1" y='2&amp;&#65;&#x42;'>t1<b>in</b>tail&lt;<p:c/><![CDATA[<raw>]]>end<d xmlns="" z="&quot;"/></a>`,
		"<a>\r\nline\rtwo<b a=\"x\r\ny\"/></a>",
		`<a xml:lang="en" q:b="undeclared"><q:c xmlns:q="urn:q" q:r="1"/></a>trailing`,
		"<a>caf\u00e9 \u65e5\u672c</a>",
		`<!DOCTYPE a SYSTEM "a.dtd"><a/>`,
	}
	for _, doc := range docs {
		want, err := stdTree([]byte(doc))
		if err != nil {
			t.Fatalf("%s: encoding/xml: %v", doc, err)
		}
		got, err := ParseTree([]byte(doc), TreeOptions{})
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if err := sameTree(got, want, ""); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
}

func TestParseTreeRefuses(t *testing.T) {
	for doc, want := range map[string]string{
		"<!DOCTYPE x [<!ENTITY e \"boom\">]><x>&e;</x>": "1:1: DTD entity",
		"<a>\n<b></a>":        "2:4: element <b> closed by </a>",
		"<a>&e;</a>":          "invalid character entity &e;",
		"<a><!DOCTYPE x></a>": "refused",
		"<a>\x01</a>":         "illegal character",
		"<a>" + strings.Repeat("x", 13) + "\x1f" + strings.Repeat("y", 20) + "</a>":  "1:17: illegal character",
		"<a>" + strings.Repeat("x", 21) + "\xc3(" + strings.Repeat("y", 20) + "</a>": "1:25: invalid UTF-8",
		"<a>\xff</a>":            "invalid UTF-8",
		"<a b=\"<\"/>":           "unescaped <",
		"<a b=c/>":               "unquoted",
		"<a><!-- a -- b --></a>": `"--"`,
		`<?xml version="1.0" encoding="ISO-8859-1"?><a/>`: "only UTF-8",
		"<a><b>":                           "unexpected end of document",
		"text only":                        "no XML element",
		"<a>" + strings.Repeat("<b>", 300): "nested too deep",
	} {
		_, err := ParseTree([]byte(doc), TreeOptions{})
		var xe *xmlsafe.Error
		if err == nil || !strings.Contains(err.Error(), want) || !errors.As(err, &xe) {
			t.Errorf("%q: %v, want %q", doc, err, want)
		}
	}
	if _, err := ParseTree([]byte("<a><b/><b/><b/></a>"), TreeOptions{MaxTokens: 3}); !errors.Is(err, xmlsafe.ErrTooManyTokens) {
		t.Errorf("token bound: %v", err)
	}
}

// TestParseTreeSSG compares both readers on SCAP Security Guide data
// streams (CRADLE_TEST_SCAP, see scripts/fixture-scap.sh).
func TestParseTreeSSG(t *testing.T) {
	dir := os.Getenv("CRADLE_TEST_SCAP")
	if dir == "" {
		t.Skip("CRADLE_TEST_SCAP not set")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*/root/usr/share/xml/scap/ssg/content/ssg-debian1[12]-ds.xml"))
	if len(files) == 0 {
		t.Skip("no Debian data streams under CRADLE_TEST_SCAP")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := stdTree(data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseTree(data, TreeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := sameTree(got, want, ""); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// FuzzParseTree: ParseTree never panics, its errors have a position, and
// whatever both it and encoding/xml accept reads the same.
func FuzzParseTree(f *testing.F) {
	f.Add([]byte(`<a xmlns:p="u" p:b="&lt;">x<p:c>y</p:c>z<![CDATA[w]]></a>`))
	f.Add([]byte("<!DOCTYPE x [<!ENTITY e \"boom\">]><x>&e;</x>"))
	f.Add([]byte("<?xml version=\"1.0\"?>\r\n<a b='1'\r\n/>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseTree(b, TreeOptions{MaxDepth: 64, MaxTokens: 20000})
		if err != nil {
			var xe *xmlsafe.Error
			if !errors.As(err, &xe) {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		want, err := stdTree(b)
		if err != nil {
			return
		}
		if err := sameTree(got, want, ""); err != nil {
			t.Fatalf("%q: %v", b, err)
		}
	})
}

func BenchmarkParseTree(b *testing.B) {
	dir := os.Getenv("CRADLE_TEST_SCAP")
	data, err := os.ReadFile(filepath.Join(dir, "0.1.76/root/usr/share/xml/scap/ssg/content/ssg-debian12-ds.xml"))
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseTree(data, TreeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// sequential reads data without splitting.
func sequential(data []byte, lim TreeOptions) (*Node, error) {
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = xmlsafe.DefaultMaxDepth
	}
	if lim.MaxTokens <= 0 {
		lim.MaxTokens = xmlsafe.DefaultMaxTokens
	}
	return newTreeParser(data, lim).run(0)
}

// sameLines compares the line numbers sameTree leaves out.
func sameLines(a, b *Node) bool {
	if a.Line != b.Line {
		return false
	}
	ka, kb := a.First, b.First
	for ka != nil && kb != nil {
		if !sameLines(ka, kb) {
			return false
		}
		ka, kb = ka.Next, kb.Next
	}
	return ka == nil && kb == nil
}

func withSplit(t testing.TB, min int) {
	old := splitMin
	splitMin = min
	t.Cleanup(func() { splitMin = old })
}

func TestParallelAgreesWithSequential(t *testing.T) {
	withSplit(t, 8)
	docs := []string{
		"<?xml version=\"1.0\"?>\n<r xmlns=\"urn:r\" xmlns:p=\"urn:p\">\n <a x='1'>t<b>in</b>tail</a>\n<p:c><c><c/></c><d/></p:c> end <e>&lt;</e></r>",
		"<r><a><a><a>deep</a></a></a>x<b/></r>",
	}
	for _, doc := range docs {
		want, err := sequential([]byte(doc), TreeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, ok := parseParallel([]byte(doc), TreeOptions{MaxDepth: 256, MaxTokens: 1000})
		if !ok {
			t.Fatalf("%s: not split", doc)
		}
		if err := sameTree(got, want, ""); err != nil || !sameLines(got, want) {
			t.Errorf("%s: %v (lines equal: %v)", doc, err, sameLines(got, want))
		}
	}
	for _, doc := range []string{"<r><a><!-- c --></a></r>", "<r><a></b></r>", "<r><a x='<'></a></r>"} {
		if _, ok := parseParallel([]byte(doc), TreeOptions{MaxDepth: 256, MaxTokens: 1000}); ok {
			t.Errorf("%s: split", doc)
		}
	}
	dir := os.Getenv("CRADLE_TEST_SCAP")
	if dir == "" {
		return
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*/root/usr/share/xml/scap/ssg/content/ssg-debian1[12]-ds.xml"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, min := range []int{256 << 10, 4 << 10} {
			withSplit(t, min)
			skip := func(n xml.Name) bool { return n.Local == "fix" }
			want, err := sequential(data, TreeOptions{Skip: skip})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := parseParallel(data, TreeOptions{MaxDepth: 256, MaxTokens: 1e8, Skip: skip})
			if !ok {
				t.Fatalf("%s: not split", f)
			}
			if err := sameTree(got, want, ""); err != nil || !sameLines(got, want) {
				t.Errorf("%s: %v (lines equal: %v)", f, err, sameLines(got, want))
			}
		}
	}
}

// FuzzParallel: splitting never changes what is read.
func FuzzParallel(f *testing.F) {
	f.Add([]byte("<r><a x='1'>t<b>in</b>tail</a>\n<c><c><c/></c><d/></c> end</r>"))
	f.Add([]byte("<?xml version=\"1.0\"?><r xmlns:p='u'><p:a><p:a/></p:a></r>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		withSplit(t, 4)
		lim := TreeOptions{MaxDepth: 64, MaxTokens: 20000}
		got, ok := parseParallel(b, lim)
		if !ok {
			return
		}
		want, err := sequential(b, lim)
		if err != nil {
			t.Fatalf("%q: split read succeeded, sequential failed: %v", b, err)
		}
		if err := sameTree(got, want, ""); err != nil || !sameLines(got, want) {
			t.Fatalf("%q: %v", b, err)
		}
	})
}
