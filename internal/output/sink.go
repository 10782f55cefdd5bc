package output

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/cradle-cra/cradle/internal/fileutil"
)

// Sink is where one command's document goes: a format checked against the
// kind before any work is done, and standard output or an -o file.
type Sink struct {
	spec   *Spec
	format string
	render Renderer
	path   string
	stdout io.Writer
}

// Open checks format for kind k and returns the sink writing to path, or
// to stdout when path is empty. An unknown format is a *UsageError.
func (r *Registry) Open(k Kind, format, path string, stdout io.Writer) (*Sink, error) {
	rnd, err := r.Lookup(k, format)
	if err != nil {
		return nil, err
	}
	s, _ := r.Spec(k)
	return &Sink{spec: s, format: format, render: rnd, path: path, stdout: stdout}, nil
}

// ToFile reports whether the document goes to a file (so never colour).
func (s *Sink) ToFile() bool { return s.path != "" }

// Format is the chosen format.
func (s *Sink) Format() string { return s.format }

// Mode is the permission a written file gets: 0600 for kinds that may
// hold secrets, 0644 otherwise.
func (s *Sink) Mode() os.FileMode {
	if s.spec.Private {
		return 0o600
	}
	return 0o644
}

// Write renders doc into memory first, so a failed rendering writes
// nothing, then replaces the -o file atomically or writes stdout. A file
// that cannot be written is a *UsageError.
func (s *Sink) Write(doc any, o Options) error {
	var buf bytes.Buffer
	if err := s.render(&buf, doc, o); err != nil {
		return fmt.Errorf("render %s as %s: %w", s.spec.Kind, s.format, err)
	}
	return write(s.path, s.stdout, buf.Bytes(), s.Mode())
}

func write(path string, stdout io.Writer, b []byte, mode os.FileMode) error {
	if path != "" {
		if err := fileutil.WriteAtomic(path, b, mode); err != nil {
			return usage(err)
		}
		return nil
	}
	_, err := stdout.Write(b)
	return err
}

// WriteRaw writes a document in a format of its own standard (an SBOM),
// which no kind of this registry describes, through the same path as
// Sink.Write: atomically to path (0644), or to stdout when path is empty.
func WriteRaw(path string, stdout io.Writer, b []byte) error { return write(path, stdout, b, 0o644) }
