package scap

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

type anyElem struct {
	Attrs []string  `xml:",any,attr"`
	Kids  []anyElem `xml:",any"`
	Text  string    `xml:",chardata"`
}

func TestTokenRefusesDoctype(t *testing.T) {
	d := NewDecoder(strings.NewReader("<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY e \"boom\">]><x>&e;</x>"))
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		_, err = Token(d)
	}
	if err == nil || !strings.Contains(err.Error(), "line 2:") {
		t.Fatalf("DOCTYPE: %v", err)
	}
}

// FuzzReaders feeds untrusted bytes to both readers every SCAP document
// goes through: they return errors, never panic or loop.
func FuzzReaders(f *testing.F) {
	f.Add([]byte(`<data-stream-collection><component id="c"><Benchmark/></component></data-stream-collection>`))
	f.Add([]byte("<!DOCTYPE x [<!ENTITY e \"boom\">]><x>&e;</x>"))
	f.Add([]byte("<a><b></a>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var v anyElem
		_ = Decode(b, &v)
		d := NewDecoder(bytes.NewReader(b))
		for i := 0; i <= len(b); i++ {
			if _, err := Token(d); err != nil {
				if err != io.EOF && !strings.HasPrefix(err.Error(), "line ") {
					t.Fatalf("error without position: %v", err)
				}
				return
			}
		}
	})
}
