// Package render turns a result.Report into the output formats cradle
// supports: table, json, sarif, junit and html. Every format is a Renderer
// over the same report; none of them computes anything the report does not
// hold, and all are deterministic (golden files in testdata/).
//
// Formats are written with the standard library only. SARIF uses plain
// structs with encoding/json: no maintained Go SARIF library is among the
// project's vetted dependencies, and cradle emits a small fixed subset that
// the tests check against the SARIF 2.1.0 rules.
package render

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cradle-cra/cradle/internal/result"
)

// Options tune human-oriented renderers.
type Options struct {
	Color   bool // ANSI colour (terminals only)
	Verbose bool // list passing rules too
	// Rerun are the selection flags of the scan besides target and
	// profile (--tailoring FILE, --rules DIR, --rule ID …), repeated in
	// the commands the table suggests; a converted report has none.
	Rerun []string
}

// Renderer writes one report format.
type Renderer interface {
	Render(w io.Writer, r *result.Report, opts Options) error
}

// Func adapts a function to Renderer.
type Func func(w io.Writer, r *result.Report, opts Options) error

func (f Func) Render(w io.Writer, r *result.Report, opts Options) error { return f(w, r, opts) }

// Registry maps format names to renderers.
type Registry struct{ m map[string]Renderer }

// Default returns the registry of built-in formats.
func Default() *Registry {
	return &Registry{m: map[string]Renderer{
		"table": validUTF8(Table),
		"json":  validUTF8(JSON),
		"sarif": validUTF8(SARIF),
		"junit": validUTF8(JUnit),
		"html":  validUTF8(HTML),
		"xccdf": validUTF8(XCCDF),
		"arf":   validUTF8(ARF),
	}}
}

// validUTF8 renders r with every byte that is not UTF-8 replaced by
// U+FFFD, as encoding/json does, so a saved JSON report re-renders to the
// same bytes as the report it was saved from (cradle convert) and HTML and
// XML never carry invalid text. Scanned files can contain any bytes.
func validUTF8(f Func) Func {
	return func(w io.Writer, r *result.Report, opts Options) error {
		return f(w, mapStrings(r, toValidUTF8), opts)
	}
}

// toValidUTF8 replaces each invalid byte (not each run, unlike
// strings.ToValidUTF8) with U+FFFD.
func toValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s { // an invalid byte ranges as one utf8.RuneError
		b.WriteRune(r)
	}
	return b.String()
}

// Add registers a format, replacing none.
func (reg *Registry) Add(name string, r Renderer) error {
	if _, dup := reg.m[name]; dup {
		return fmt.Errorf("format %q registered twice", name)
	}
	reg.m[name] = r
	return nil
}

// Lookup finds a format.
func (reg *Registry) Lookup(name string) (Renderer, error) {
	r, ok := reg.m[name]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (want %s)", name, strings.Join(reg.Names(), ", "))
	}
	return r, nil
}

// Names lists formats, sorted.
func (reg *Registry) Names() []string {
	return slices.Sorted(maps.Keys(reg.m))
}
