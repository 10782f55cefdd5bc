package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/cradle-cra/cradle/internal/sbom"
	"github.com/cradle-cra/cradle/internal/target"
)

// sbomFile catalogues one file (a Go or Rust binary, a lockfile, a jar):
// its directory is opened as a root filesystem, so the read goes through
// the same confined resolver, and only the file is read. A source tree
// needs no special case: it is a --root directory.
func (a *App) sbomFile(ctx context.Context, in SBOMInput, when time.Time) (*SBOMOutput, error) {
	abs, err := filepath.Abs(in.File)
	if err != nil {
		return nil, Input(err)
	}
	// A symlink names the file it points to, which may live elsewhere.
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, Input(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, Usagef("--file %s: not a regular file (use --root for a directory)", in.File)
	}
	t, err := target.OpenRootFS(filepath.Dir(abs))
	if err != nil {
		return nil, Input(err)
	}
	defer t.Close()
	b, err := sbom.BuildFile(ctx, t, "file:"+filepath.ToSlash(abs), filepath.Base(abs))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := b.Write(&buf, in.Format, sbom.WriteOptions{Time: when, ToolVersion: a.Version, Creator: in.Creator}); err != nil {
		return nil, err
	}
	return a.sbomOutput(in, b, buf.Bytes())
}
