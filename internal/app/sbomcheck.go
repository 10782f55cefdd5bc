package app

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/cradle-cra/cradle/internal/sbom"
)

// SBOMCheckInput asks for a TR-03183-2 conformance report of an SBOM
// file (any producer's).
type SBOMCheckInput struct {
	File string
	// MinScore, when set, is recorded in the report; the caller fails
	// when the score is below it (CheckReport.Below).
	MinScore *float64
}

// SBOMCheck reads an SBOM and rates it against BSI TR-03183-2. An
// unreadable or unparsable file is an input error.
func (a *App) SBOMCheck(_ context.Context, in SBOMCheckInput) (*sbom.CheckReport, error) {
	if in.MinScore != nil && (*in.MinScore < 0 || *in.MinScore > 100) {
		return nil, Usagef("--min-score %v: not between 0 and 100", *in.MinScore)
	}
	d, err := readSBOM(in.File)
	if err != nil {
		return nil, err
	}
	r := sbom.Check(d, in.File)
	r.MinScore = in.MinScore
	return r, nil
}

// SBOMDiff compares two SBOM files (any supported formats, mixed).
func (a *App) SBOMDiff(_ context.Context, oldFile, newFile string) (*sbom.DiffReport, error) {
	o, err := readSBOM(oldFile)
	if err != nil {
		return nil, err
	}
	n, err := readSBOM(newFile)
	if err != nil {
		return nil, err
	}
	return sbom.Diff(o, n, oldFile, newFile), nil
}

// readSBOM reads an untrusted SBOM file, at most sbom.MaxDocSize bytes.
func readSBOM(file string) (*sbom.Doc, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, Usagef("%v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, sbom.MaxDocSize+1))
	if err != nil {
		return nil, Usagef("%s: %v", file, err)
	}
	d, err := sbom.Read(b)
	if err != nil {
		return nil, Usagef("%s: %v", file, fmt.Errorf("not a readable SBOM: %w", err))
	}
	return d, nil
}
