package evreport

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
)

func renderPDF(t *testing.T, m Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := PDF(&b, &m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPDFGolden pins the PDF's digest: the bytes are deterministic for a
// fixed model. The PDF itself is kept under testdata for review.
func TestPDFGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    Model
	}{
		{"sample.pdf", sampleModel()},
		{"empty.pdf", Model{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := renderPDF(t, tc.m)
			if !bytes.Equal(got, renderPDF(t, tc.m)) {
				t.Fatal("two renderings of the same model differ")
			}
			if !bytes.HasPrefix(got, []byte("%PDF-1.")) || !bytes.Contains(got[len(got)-32:], []byte("%%EOF")) {
				t.Fatal("not a complete PDF")
			}
			golden(t, tc.name+".sha256", fmt.Appendf(nil, "%x\n", sha256.Sum256(got)))
		})
	}
}

// pdfText returns the strings shown on the pages: every (…) Tj operand of
// every content stream, inflated where compressed.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	var text strings.Builder
	streams := regexp.MustCompile(`(?s)<<([^>]*)>>\s*stream\r?\n(.*?)\r?\nendstream`).FindAllSubmatch(pdf, -1)
	tj := regexp.MustCompile(`\(((?:\\.|[^\\)])*)\) ?Tj`)
	for _, s := range streams {
		body := s[2]
		if bytes.Contains(s[1], []byte("/FlateDecode")) {
			zr, err := zlib.NewReader(bytes.NewReader(body))
			if err != nil {
				continue
			}
			body, err = io.ReadAll(zr)
			if err != nil {
				continue
			}
		}
		for _, m := range tj.FindAllSubmatch(body, -1) {
			r := strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`)
			text.WriteString(r.Replace(string(m[1])))
			text.WriteByte('\n')
		}
	}
	return text.String()
}

func TestPDFText(t *testing.T) {
	text := pdfText(t, renderPDF(t, sampleModel()))
	for _, want := range []string{
		"CRA.A1.P1.1", "CRA.A1.P2.8", "Cybersecurity appropriate to the risks",
		"Not applicable: the product processes no personal data",
		"CASE-2026-0001", "SRP-4711", "debian12-server", strings.Repeat("ab", 32),
		"2036-12-05", "edge-gateway", "page 1 of",
	} {
		// Table cells wrap: compare with the lines joined.
		if !strings.Contains(strings.ReplaceAll(text, "\n", " "), want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if n := strings.Count(text, "page "); n < 3 {
		t.Errorf("%d pages; the sample should need several", n)
	}
}
