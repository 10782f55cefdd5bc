package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/result"
)

// InputKind says what an artifact given to the build is.
type InputKind string

// The kinds of artifact a pack takes in. The cradle documents among them
// are checked by their "kind" property, so a scan report cannot be passed
// off as a vulnerability report.
const (
	InScan       InputKind = "scan"       // cradle scan (also --scap) JSON: scan_report
	InFix        InputKind = "fix"        // cradle fix JSON: fix_plan
	InDrift      InputKind = "drift"      // cradle drift JSON: drift_report
	InFIM        InputKind = "fim"        // cradle fim check JSON: fim_report
	InSBOM       InputKind = "sbom"       // CycloneDX or SPDX JSON
	InVuln       InputKind = "vuln"       // cradle vuln scan JSON: vuln_report
	InVEX        InputKind = "vex"        // OpenVEX, CycloneDX VEX or CSAF VEX JSON
	InAdvisories InputKind = "advisories" // a directory of advisories (CSAF)
	InChangeLog  InputKind = "changelog"  // cradle log JSON (change log excerpt)
	InOther      InputKind = "other"      // any other file (test report, review)
)

// InputKinds lists the kinds in the order the pack lists them.
var InputKinds = []InputKind{InScan, InFix, InDrift, InFIM, InSBOM, InVuln, InVEX, InAdvisories, InChangeLog, InOther}

// documentKind is the cradle document kind an input must carry.
var documentKind = map[InputKind]string{
	InScan: result.ReportKind, InFix: "fix_plan", InDrift: "drift_report", InFIM: "fim_report",
	InVuln: "vuln_report", InChangeLog: "change_log",
}

// Input is one artifact to take into the pack.
type Input struct {
	Kind InputKind
	Path string
}

// ParseInput reads KIND=PATH.
func ParseInput(s string) (Input, error) {
	k, p, ok := strings.Cut(s, "=")
	if !ok || p == "" {
		return Input{}, fmt.Errorf("--input %q: want KIND=FILE (kinds: %s)", s, kindList())
	}
	if !slices.Contains(InputKinds, InputKind(k)) {
		return Input{}, fmt.Errorf("--input %q: unknown kind %q (want %s)", s, k, kindList())
	}
	return Input{Kind: InputKind(k), Path: p}, nil
}

func kindList() string {
	s := make([]string, len(InputKinds))
	for i, k := range InputKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Limits on what a build copies in.
const (
	MaxInputFile   = 256 << 20 // one artifact
	MaxAdvisories  = 10000     // files in an advisories directory
	maxPackFiles   = 20000
	maxTotalPacked = 4 << 30
)

// artifact is one file copied into the pack.
type artifact struct {
	kind InputKind
	src  string // where it came from (for messages)
	path string // slash path in the pack
	data []byte
	doc  any // the decoded document, for the matrix
}

// loadInput reads one input into artifacts named under artifacts/<kind>/.
// used tracks pack paths already taken, so two inputs with the same base
// name do not collide.
func loadInput(in Input, used map[string]bool) ([]*artifact, error) {
	if in.Kind == InAdvisories {
		return loadDir(in, used)
	}
	data, err := fileutil.ReadBounded(in.Path, MaxInputFile)
	if err != nil {
		return nil, fmt.Errorf("--input %s=%s: %w", in.Kind, in.Path, err)
	}
	a := &artifact{kind: in.Kind, src: in.Path, data: data}
	a.path = unique(used, path.Join("artifacts", string(in.Kind), safeName(filepath.Base(in.Path))))
	if a.doc, err = decodeInput(in.Kind, data); err != nil {
		return nil, fmt.Errorf("--input %s=%s: %w", in.Kind, in.Path, err)
	}
	return []*artifact{a}, nil
}

// loadDir copies the regular files of a directory tree (symbolic links
// and special files are skipped, not followed).
func loadDir(in Input, used map[string]bool) ([]*artifact, error) {
	var out []*artifact
	root := filepath.Clean(in.Path)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if len(out) >= MaxAdvisories {
			return fmt.Errorf("more than %d files", MaxAdvisories)
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		data, err := fileutil.ReadBounded(p, MaxInputFile)
		if err != nil {
			return err
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		for i := range parts {
			parts[i] = safeName(parts[i])
		}
		a := &artifact{kind: in.Kind, src: p, data: data}
		a.path = unique(used, path.Join(append([]string{"artifacts", string(in.Kind)}, parts...)...))
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("--input %s=%s: %w", in.Kind, in.Path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--input %s=%s: no files", in.Kind, in.Path)
	}
	return out, nil
}

// safeName keeps a file name portable inside the pack and its zip.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_', r == '+':
			return r
		}
		return '_'
	}, s)
	if s == "" || s == "." || s == ".." {
		s = "_"
	}
	return s
}

func unique(used map[string]bool, p string) string {
	cand := p
	ext := path.Ext(p)
	for i := 2; used[cand]; i++ {
		cand = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(p, ext), i, ext)
	}
	used[cand] = true
	return cand
}

// Minimal views of the documents the matrix reads; the full documents
// are copied as they are.
type (
	vulnDoc struct {
		Kind     string `json:"kind"`
		Findings []struct {
			ID        string `json:"id"`
			Severity  string `json:"severity"`
			Exploited bool   `json:"exploited"`
			VEX       *struct {
				Status     string `json:"status"`
				Suppressed bool   `json:"suppressed"`
			} `json:"vex"`
		} `json:"findings"`
		Gaps []json.RawMessage `json:"gaps"`
		Gate struct {
			FailOn string `json:"fail_on"`
			Failed bool   `json:"failed"`
		} `json:"gate"`
		Components int `json:"components"`
	}
	fimDoc struct {
		Kind    string `json:"kind"`
		Command string `json:"command"`
		Summary struct {
			Entries, Added, Removed, Changed, Problems int
		} `json:"summary"`
	}
	driftDoc struct {
		Kind  string            `json:"kind"`
		Items []json.RawMessage `json:"items"`
	}
	fixDoc struct {
		Kind string            `json:"kind"`
		Mode string            `json:"mode"`
		Plan []json.RawMessage `json:"plan"`
	}
	sbomDoc struct {
		Format      string
		SpecVersion string
		Components  int
		Types       map[string]int
	}
)

func decodeInput(k InputKind, data []byte) (any, error) {
	if want, ok := documentKind[k]; ok {
		var h struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(data, &h); err != nil {
			return nil, fmt.Errorf("not JSON: %w", err)
		}
		if h.Kind != want {
			return nil, fmt.Errorf("a %s input must be a cradle %s document, this is %q", k, want, h.Kind)
		}
	}
	var doc any
	switch k {
	case InScan:
		doc = new(result.Report)
	case InVuln:
		doc = new(vulnDoc)
	case InFIM:
		doc = new(fimDoc)
	case InDrift:
		doc = new(driftDoc)
	case InFix:
		doc = new(fixDoc)
	case InSBOM:
		return decodeSBOM(data)
	case InVEX:
		if !json.Valid(data) {
			return nil, fmt.Errorf("not JSON")
		}
		return nil, nil
	default:
		return nil, nil
	}
	if err := json.Unmarshal(data, doc); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return doc, nil
}

// decodeSBOM recognises CycloneDX and SPDX JSON and counts components
// by package type.
func decodeSBOM(data []byte) (*sbomDoc, error) {
	var v struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
		Components  []struct {
			PURL string `json:"purl"`
		} `json:"components"`
		SPDXVersion string `json:"spdxVersion"`
		Packages    []struct {
			ExternalRefs []struct {
				Type    string `json:"referenceType"`
				Locator string `json:"referenceLocator"`
			} `json:"externalRefs"`
		} `json:"packages"`
	}
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&v); err != nil {
		return nil, fmt.Errorf("not an SBOM in JSON: %w", err)
	}
	d := &sbomDoc{Types: map[string]int{}}
	switch {
	case v.BOMFormat == "CycloneDX":
		d.Format, d.SpecVersion, d.Components = "CycloneDX", v.SpecVersion, len(v.Components)
		for _, c := range v.Components {
			d.Types[purlType(c.PURL)]++
		}
	case strings.HasPrefix(v.SPDXVersion, "SPDX-"):
		d.Format, d.SpecVersion, d.Components = "SPDX", strings.TrimPrefix(v.SPDXVersion, "SPDX-"), len(v.Packages)
		for _, p := range v.Packages {
			t := ""
			for _, r := range p.ExternalRefs {
				if r.Type == "purl" {
					t = purlType(r.Locator)
				}
			}
			d.Types[purlTypeOr(t)]++
		}
	default:
		return nil, fmt.Errorf("not a CycloneDX or SPDX JSON document")
	}
	return d, nil
}

func purlType(p string) string {
	t, _, ok := strings.Cut(strings.TrimPrefix(p, "pkg:"), "/")
	if !ok || !strings.HasPrefix(p, "pkg:") {
		return "unknown"
	}
	return t
}

func purlTypeOr(t string) string {
	if t == "" {
		return "unknown"
	}
	return t
}

// readRegular reads a file the product file names (risk file, control
// evidence), bounded.
func readRegular(p string) ([]byte, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	return fileutil.ReadBounded(p, MaxInputFile)
}
