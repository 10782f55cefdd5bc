// Package output is cradle's one output pipeline. It owns the registry of
// document kinds (scan report, fix plan, drift report, run list, change
// log, watch event), each with its schema version, its JSON Schema under
// docs/schemas/ and its renderers per format; and the one writer every
// command uses for --format and -o: look the format up (a usage error
// lists the valid ones), render into a buffer, then write stdout or the
// file atomically, 0600 for kinds that may hold secrets and 0644
// otherwise. It also reads saved documents back (cradle convert).
//
// The document structs live in their domain packages (result.Report,
// fix.Document, drift.Report, drift.Event, journal.RunList,
// changelog.Listing), each with schema_version and kind first.
package output

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Kind names a document kind; it is the document's "kind" property.
type Kind string

// Options tune human-oriented renderers; JSON ignores them.
type Options struct {
	Color   bool // ANSI colour (terminals only)
	Verbose bool // scan table: list passing rules too
	NoDiff  bool // fix plan table: leave file diffs out
	// Rerun are the scan's selection flags the scan table repeats in
	// the commands of its next steps (render.Options.Rerun).
	Rerun []string
}

// Renderer writes one document in one format. doc is the pointer type the
// kind decodes to (*result.Report for scan_report, ...).
type Renderer func(w io.Writer, doc any, o Options) error

// Spec describes one document kind.
type Spec struct {
	Kind          Kind
	SchemaVersion string // "MAJOR.MINOR"
	// Private kinds may carry secrets (file contents, diffs): files are
	// written 0600 instead of 0644.
	Private bool
	// Stream kinds are a sequence of documents, one JSON value a line
	// (watch events); the decoded value is a pointer to a slice.
	Stream bool
	// decode reads one saved document (or a whole stream) of this kind.
	decode  func(data []byte) (any, error)
	formats map[string]Renderer
}

// NewSpec describes kind k whose documents decode into a T (one JSON
// value; streams are built in Default). Add its formats with Handle.
func NewSpec[T any](k Kind, schemaVersion string, private bool) *Spec {
	return &Spec{Kind: k, SchemaVersion: schemaVersion, Private: private, decode: decodeOne[T], formats: map[string]Renderer{}}
}

// Handle registers f as the renderer of format for the *T documents of
// s; a format registered twice is an error.
func Handle[T any](s *Spec, format string, f func(w io.Writer, doc *T, o Options) error) error {
	if _, dup := s.formats[format]; dup {
		return fmt.Errorf("%s: format %q registered twice", s.Kind, format)
	}
	if s.formats == nil {
		s.formats = map[string]Renderer{}
	}
	s.formats[format] = typed(f)
	return nil
}

// Formats lists the kind's formats, sorted.
func (s *Spec) Formats() []string { return slices.Sorted(maps.Keys(s.formats)) }

// Registry maps kinds to their specs.
type Registry struct{ kinds map[Kind]*Spec }

// Add registers a kind; registering one twice is an error.
func (r *Registry) Add(s *Spec) error {
	if r.kinds == nil {
		r.kinds = map[Kind]*Spec{}
	}
	if _, dup := r.kinds[s.Kind]; dup {
		return fmt.Errorf("document kind %q registered twice", s.Kind)
	}
	if s.decode == nil || len(s.formats) == 0 {
		return fmt.Errorf("document kind %q: no decoder or no formats", s.Kind)
	}
	r.kinds[s.Kind] = s
	return nil
}

// Kinds lists the registered kinds, sorted.
func (r *Registry) Kinds() []Kind { return slices.Sorted(maps.Keys(r.kinds)) }

// Spec returns the kind's spec.
func (r *Registry) Spec(k Kind) (*Spec, error) {
	s, ok := r.kinds[k]
	if !ok {
		names := make([]string, 0, len(r.kinds))
		for _, k := range r.Kinds() {
			names = append(names, string(k))
		}
		return nil, usage(fmt.Errorf("unknown document kind %q (known: %s)", k, strings.Join(names, ", ")))
	}
	return s, nil
}

// Lookup finds the renderer of kind k in format; an unknown format is a
// *UsageError naming the valid ones.
func (r *Registry) Lookup(k Kind, format string) (Renderer, error) {
	s, err := r.Spec(k)
	if err != nil {
		return nil, err
	}
	rnd, ok := s.formats[format]
	if !ok {
		return nil, usage(fmt.Errorf("--format: unknown format %q for a %s (want %s)", format, k, strings.Join(s.Formats(), ", ")))
	}
	return rnd, nil
}

// UsageError is a problem the user has to fix — an unknown format, an
// unwritable -o path, a malformed input document — rather than an
// internal failure: exit code 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ExitCode is 2, cradle's code for usage and input errors.
func (e *UsageError) ExitCode() int { return 2 }

func usage(err error) error { return &UsageError{Err: err} }

// IsUsage reports whether err is a *UsageError.
func IsUsage(err error) bool {
	var ue *UsageError
	return errors.As(err, &ue)
}

// typed adapts a renderer of *T.
func typed[T any](f func(w io.Writer, doc *T, o Options) error) Renderer {
	return func(w io.Writer, doc any, o Options) error {
		d, ok := doc.(*T)
		if !ok {
			return fmt.Errorf("renderer of %T given a %T", (*T)(nil), doc)
		}
		return f(w, d, o)
	}
}
