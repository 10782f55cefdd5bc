package xmlsafe

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

type doc struct {
	A []string `xml:"a"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, in string
		lim      Limits
		want     error  // errors.Is target; nil = success
		pos      string // expected "line:col" prefix of the error
	}{
		{name: "plain", in: "<r><a>x</a><a>y &amp; z</a></r>"},
		{name: "external doctype allowed", in: `<!DOCTYPE r SYSTEM "http://example.invalid/r.dtd"><r/>`},
		{name: "entity", in: "<!DOCTYPE r [<!ENTITY x \"boom\">]>\n<r>&x;</r>", want: ErrEntity, pos: "1:"},
		{name: "external entity", in: "<?xml version=\"1.0\"?>\n<!DOCTYPE r [\n<!ENTITY x SYSTEM \"file:///etc/shadow\">]><r>&x;</r>", want: ErrEntity, pos: "3:"},
		{name: "undeclared entity", in: "<r>\n<a>&x;</a></r>"},
		{name: "too deep", in: strings.Repeat("<r>", 10) + strings.Repeat("</r>", 10), lim: Limits{MaxDepth: 5}, want: ErrTooDeep},
		{name: "too large", in: "<r>" + strings.Repeat("<a>x</a>", 100) + "</r>", lim: Limits{MaxBytes: 64}, want: ErrTooLarge},
		{name: "exactly max bytes", in: "<r></r>", lim: Limits{MaxBytes: 7}},
		{name: "too many tokens", in: "<r>" + strings.Repeat("<a>x</a>", 100) + "</r>", lim: Limits{MaxTokens: 50}, want: ErrTooManyTokens},
		{name: "mismatched", in: "<r>\n  <a>x</b></r>", pos: "2:"},
		{name: "truncated", in: "<r><a>x</a>", pos: "1:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := Decode(strings.NewReader(tc.in), tc.lim, &d)
			wantErr := tc.want != nil || tc.pos != ""
			if tc.name == "undeclared entity" {
				wantErr = true
			}
			if !wantErr {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, decoded %+v", d)
			}
			var xe *Error
			if !errors.As(err, &xe) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if tc.pos != "" && !strings.HasPrefix(err.Error(), tc.pos) {
				t.Fatalf("error %q, want position %s", err, tc.pos)
			}
		})
	}
}

func TestDecodeValues(t *testing.T) {
	var d doc
	if err := Decode(strings.NewReader(`<r xmlns="urn:x"><a>1</a><a>2 &lt; 3</a></r>`), Limits{}, &d); err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.A, "|") != "1|2 < 3" {
		t.Fatalf("got %q", d.A)
	}
}

func TestTokensKeepNamespaces(t *testing.T) {
	d := NewDecoder(strings.NewReader(`<x:r xmlns:x="urn:one"><x:a/></x:r>`), Limits{})
	var spaces []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(d.Wrap(err))
		}
		if s, ok := tok.(startElement); ok {
			spaces = append(spaces, s.Name.Space+" "+s.Name.Local)
		}
	}
	if strings.Join(spaces, ",") != "urn:one r,urn:one a" {
		t.Fatalf("got %q", spaces)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("<r><a>x</a></r>"))
	f.Add([]byte("<!DOCTYPE r [<!ENTITY x \"y\">]><r>&x;</r>"))
	f.Add([]byte("<r><a>x</b></r>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d doc
		err := Decode(strings.NewReader(string(b)), Limits{MaxBytes: 1 << 16, MaxDepth: 32, MaxTokens: 10000}, &d)
		if err != nil {
			var xe *Error
			if !errors.As(err, &xe) && err != io.EOF {
				t.Fatalf("error %v (%T) is not positioned", err, err)
			}
		}
	})
}

type startElement = xml.StartElement
