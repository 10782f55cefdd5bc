package release

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/cradle-cra/cradle/internal/cli"
)

// docFiles are the generated man pages and completions, by file name
// within their directory.
type docFiles struct {
	man             []string // dir/man/*.1.gz
	bash, zsh, fish string
}

// rootCommand is the real command tree with cobra's help and completion
// commands added, as a user's binary shows them.
func rootCommand() *cobra.Command {
	root := cli.NewRootCommand(cli.Env{Stdin: bytes.NewReader(nil), Stdout: io.Discard, Stderr: io.Discard})
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var noAutoGen func(*cobra.Command)
	noAutoGen = func(c *cobra.Command) {
		// cobra's "HISTORY: auto generated" section carries no information.
		c.DisableAutoGenTag = true
		for _, s := range c.Commands() {
			noAutoGen(s)
		}
	}
	noAutoGen(root)
	return root
}

// generateDocs writes the man pages (section 1, gzip -n) and the bash, zsh
// and fish completions of the real command tree into dir, dated m.Epoch.
func generateDocs(dir string, m Meta) (docFiles, error) {
	var d docFiles
	raw := filepath.Join(dir, "man.raw")
	man := filepath.Join(dir, "man")
	comp := filepath.Join(dir, "completions")
	for _, p := range []string{raw, man, comp} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return d, err
		}
	}
	date := m.Epoch
	hdr := &doc.GenManHeader{Section: "1", Date: &date,
		Source: "cradle " + m.Version, Manual: "cradle manual"}
	if err := doc.GenManTree(rootCommand(), hdr, raw); err != nil {
		return d, fmt.Errorf("man pages: %w", err)
	}
	ents, err := os.ReadDir(raw)
	if err != nil {
		return d, err
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(raw, e.Name()))
		if err != nil {
			return d, err
		}
		gz, err := gzipBytes(b)
		if err != nil {
			return d, err
		}
		p := filepath.Join(man, e.Name()+".gz")
		if err := os.WriteFile(p, gz, 0o644); err != nil {
			return d, err
		}
		d.man = append(d.man, p)
	}
	slices.Sort(d.man)
	if err := os.RemoveAll(raw); err != nil {
		return d, err
	}

	for _, c := range []struct {
		path *string
		name string
		gen  func(*cobra.Command, io.Writer) error
	}{
		{&d.bash, "cradle.bash", func(r *cobra.Command, w io.Writer) error { return r.GenBashCompletionV2(w, true) }},
		{&d.zsh, "_cradle", func(r *cobra.Command, w io.Writer) error { return r.GenZshCompletion(w) }},
		{&d.fish, "cradle.fish", func(r *cobra.Command, w io.Writer) error { return r.GenFishCompletion(w, true) }},
	} {
		var b bytes.Buffer
		if err := c.gen(rootCommand(), &b); err != nil {
			return d, fmt.Errorf("completion %s: %w", c.name, err)
		}
		*c.path = filepath.Join(comp, c.name)
		if err := os.WriteFile(*c.path, b.Bytes(), 0o644); err != nil {
			return d, err
		}
	}
	return d, nil
}

// gzipBytes compresses b as "gzip -n" does: no name, no time stamp.
func gzipBytes(b []byte) ([]byte, error) {
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
