package evreport

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
)

var errNilModel = errors.New("evidence report: no model")

//go:embed report.html.tmpl
var htmlSource string

// htmlCSP allows the page's one style element (by hash) and nothing else:
// no script, no image, font, frame or connection of any kind, so the report
// renders the same offline and cannot be made to call out.
var htmlCSP = func() string {
	_, after, _ := strings.Cut(htmlSource, "<style>")
	css, _, _ := strings.Cut(after, "</style>")
	sum := sha256.Sum256([]byte(css))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; base-uri 'none'; form-action 'none'"
}()

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"statusLabel": statusLabel,
	"label":       label,
	"size":        humanSize,
}).Parse(htmlSource))

// HTML writes the report as one self-contained HTML document.
func HTML(w io.Writer, m *Model) error {
	if m == nil {
		return errNilModel
	}
	if err := htmlTemplate.Execute(w, newView(*m, htmlCSP)); err != nil {
		return fmt.Errorf("evidence report html: %w", err)
	}
	return nil
}
