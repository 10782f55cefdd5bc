package evidence

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"

	"github.com/cradle-cra/cradle/internal/envelope"
	"github.com/cradle-cra/cradle/internal/product"
	"github.com/cradle-cra/cradle/internal/risk"
)

// Options say what to build.
type Options struct {
	// ProductPath is the product file; Product its parsed content.
	ProductPath string
	Product     *product.File
	// Release is the product version the pack documents; "" takes the
	// product file's first version.
	Release string
	// Out is the pack directory to create; Zip, when set, a zip of it.
	Out, Zip string
	// Force replaces an existing Out or Zip.
	Force  bool
	Inputs []Input
	Signer envelope.Signer
	// Now is the build time; PlacedOnMarket the release's placing on the
	// market (zero: the build date).
	Now, PlacedOnMarket time.Time
	Tool                string
	// Report renders the human report (report.html, report.pdf); nil
	// writes none.
	Report func(*ReportData) (html, pdf []byte, err error)
}

// ReportData is what the human report is made from: the pack as built,
// before the manifest is signed (the report files are listed in it).
type ReportData struct {
	Product   *product.File
	Risk      *risk.File
	Release   string
	Matrix    *Matrix
	Retention Retention
	Files     []File
	KeyID     string
	Created   time.Time
	Tool      string
	SBOM      []SBOMSummary
}

// SBOMSummary describes one SBOM of the pack.
type SBOMSummary struct {
	File, Format, SpecVersion string
	Components                int
	Types                     map[string]int
}

// Result is what a build wrote.
type Result struct {
	Dir, Zip string
	Manifest *Manifest
	Matrix   *Matrix
	KeyID    string
	Warnings []string
}

// ErrInput marks problems with what the caller gave (exit code 2).
var ErrInput = errors.New("evidence input")

func inputErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, a...))
}

// Build assembles, signs and writes a pack. It writes into a temporary
// directory next to Out and renames it into place when complete, so a
// failed build leaves nothing half-written.
func Build(o Options) (*Result, error) {
	if o.Product == nil || o.Signer == nil || o.Out == "" {
		return nil, inputErr("product file, signing key and output directory are required")
	}
	release := o.Release
	if release == "" && len(o.Product.Product.Versions) > 0 {
		release = o.Product.Product.Versions[0]
	}
	if release == "" {
		return nil, inputErr("no release: pass --release or list product.versions in the product file")
	}
	if _, err := os.Lstat(o.Out); err == nil && !o.Force {
		return nil, inputErr("%s exists; use --force to replace it", o.Out)
	}
	placed := o.PlacedOnMarket
	if placed.IsZero() {
		placed = o.Now
	}
	placed = time.Date(placed.Year(), placed.Month(), placed.Day(), 0, 0, 0, 0, time.UTC)
	res := &Result{}
	files := map[string][]byte{}
	roles := map[string]string{}
	put := func(p, role string, b []byte) { files[p], roles[p] = b, role }

	prodBytes, err := readRegular(o.ProductPath)
	if err != nil {
		return nil, inputErr("product file: %v", err)
	}
	mi := matrixInput{product: o.Product, prodPath: "product/cradle.yaml", controlEvidence: map[string][]string{}}
	put(mi.prodPath, RoleProductFile, prodBytes)
	used := map[string]bool{mi.prodPath: true}
	if rp := o.Product.RiskAssessment; rp != "" {
		full := filepath.Join(filepath.Dir(o.ProductPath), filepath.FromSlash(rp))
		b, err := readRegular(full)
		if err != nil {
			return nil, inputErr("risk assessment: %v", err)
		}
		rf, warns, err := risk.Parse(full, b)
		if err != nil {
			return nil, inputErr("%v", err)
		}
		for _, w := range warns {
			res.Warnings = append(res.Warnings, w.String())
		}
		mi.risk, mi.riskPath = rf, "product/"+safeName(path.Base(filepath.ToSlash(rp)))
		put(mi.riskPath, RoleRiskAssessment, b)
		used[mi.riskPath] = true
		for _, c := range rf.Controls {
			for _, e := range c.Evidence {
				src := filepath.Join(filepath.Dir(full), filepath.FromSlash(e))
				b, err := readRegular(src)
				if err != nil {
					return nil, inputErr("control %s evidence: %v", c.ID, err)
				}
				p := unique(used, path.Join("controls", safeName(c.ID), safeName(path.Base(e))))
				put(p, RoleControlEvidence, b)
				mi.controlEvidence[c.ID] = append(mi.controlEvidence[c.ID], p)
			}
		}
	} else {
		res.Warnings = append(res.Warnings, o.ProductPath+": no risk_assessment: the matrix cannot say which points apply (cradle risk init writes a starter)")
	}
	for _, in := range o.Inputs {
		as, err := loadInput(in, used)
		if err != nil {
			return nil, inputErr("%v", err)
		}
		for _, a := range as {
			put(a.path, "input:"+string(a.kind), a.data)
		}
		mi.artifacts = append(mi.artifacts, as...)
	}
	if len(files) > maxPackFiles {
		return nil, inputErr("more than %d files", maxPackFiles)
	}

	m := computeMatrix(mi, release, o.Now)
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode matrix: %w", err)
	}
	put("annex1-matrix.json", RoleMatrix, append(mb, '\n'))
	ret := retention(placed, o.Product.Support.End.Time)
	d := &drafts{p: o.Product, risk: mi.risk, release: release, matrix: m, retention: ret, now: o.Now, files: files, roles: roles}
	put("documents/annex-vii-technical-documentation.md", RoleTechnicalDoc, d.technical())
	put("documents/annex-ii-user-information.md", RoleUserInformation, d.userInfo())
	put("documents/annex-v-eu-declaration-of-conformity.md", RoleDeclaration, d.declaration())

	if o.Report != nil {
		rd := &ReportData{Product: o.Product, Risk: mi.risk, Release: release, Matrix: m, Retention: ret,
			Files: listFiles(files, roles), KeyID: o.Signer.ID(), Created: o.Now.UTC(), Tool: o.Tool}
		for _, a := range mi.artifacts {
			if s, ok := a.doc.(*sbomDoc); ok {
				rd.SBOM = append(rd.SBOM, SBOMSummary{File: a.path, Format: s.Format, SpecVersion: s.SpecVersion, Components: s.Components, Types: s.Types})
			}
		}
		html, pdf, err := o.Report(rd)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		put("report.html", RoleReport, html)
		if pdf != nil {
			put("report.pdf", RoleReport, pdf)
		}
	}

	man := &Manifest{SchemaVersion: ManifestSchemaVersion, Kind: ManifestKind, Release: release, Created: o.Now.UTC(), Tool: o.Tool,
		Product: PackProduct{Name: o.Product.Product.Name, Manufacturer: o.Product.Manufacturer.Name,
			SupportStart: o.Product.Support.Start.String(), SupportEnd: o.Product.Support.End.String()},
		Retention: ret, Files: listFiles(files, roles)}
	manBytes, err := encodeManifest(man)
	if err != nil {
		return nil, err
	}
	env, err := envelope.Sign(envelope.TypeEvidencePack, manBytes, o.Signer)
	if err != nil {
		return nil, err
	}
	sig, err := envelope.Marshal(env)
	if err != nil {
		return nil, err
	}
	files[ManifestFile], files[SignatureFile] = manBytes, append(sig, '\n')

	if err := writeDir(o.Out, files, o.Force); err != nil {
		return nil, err
	}
	if o.Zip != "" {
		if err := writeZip(o.Zip, files, o.Now, o.Force); err != nil {
			return nil, err
		}
	}
	res.Dir, res.Zip, res.Manifest, res.Matrix, res.KeyID = o.Out, o.Zip, man, m, o.Signer.ID()
	return res, nil
}

func listFiles(files map[string][]byte, roles map[string]string) []File {
	out := make([]File, 0, len(files))
	for p, b := range files {
		out = append(out, File{Path: p, SHA256: digest(b), Size: int64(len(b)), Role: roles[p]})
	}
	slices.SortFunc(out, func(a, b File) int {
		switch {
		case a.Path < b.Path:
			return -1
		case a.Path > b.Path:
			return 1
		}
		return 0
	})
	return out
}

// writeDir writes every file under a temporary sibling of dir, syncs
// them and renames the whole tree into place.
func writeDir(dir string, files map[string][]byte, force bool) error {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return inputErr("output directory: %v", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return inputErr("output directory: %v", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	for p, b := range files {
		full := filepath.Join(tmp, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("write pack: %w", err)
		}
		if err := writeSynced(full, b); err != nil {
			return err
		}
	}
	if force {
		if fi, err := os.Lstat(dir); err == nil {
			if !fi.IsDir() {
				return inputErr("%s exists and is not a directory", dir)
			}
			old := tmp + ".old"
			if err := os.Rename(dir, old); err != nil {
				return fmt.Errorf("replace %s: %w", dir, err)
			}
			defer os.RemoveAll(old)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return inputErr("%s exists; use --force to replace it", dir)
		}
		return fmt.Errorf("write pack: %w", err)
	}
	return nil
}

func writeSynced(p string, b []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write pack %s: %w", p, err)
	}
	return nil
}
