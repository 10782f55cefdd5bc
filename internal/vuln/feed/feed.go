// Package feed reads the exploitation feeds cradle joins to OSV records:
// CISA's Known Exploited Vulnerabilities catalogue (JSON) and FIRST's EPSS
// scores (CSV, optionally gzip-compressed). Both are untrusted input and
// read with bounds.
package feed

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// MaxKEV bounds the catalogue's JSON (about 1.5 MB in 2026).
const MaxKEV = 64 << 20

// MaxEPSSRows bounds the EPSS rows read (about 300,000 CVEs in 2026).
const MaxEPSSRows = 5_000_000

var cveRe = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

// KEV is one entry of the Known Exploited Vulnerabilities catalogue.
type KEV struct {
	CVE        string `json:"cveID"`
	DateAdded  string `json:"dateAdded,omitempty"`
	DueDate    string `json:"dueDate,omitempty"`
	Ransomware string `json:"knownRansomwareCampaignUse,omitempty"`
}

// KEVCatalog is the catalogue and its version.
type KEVCatalog struct {
	CatalogVersion  string `json:"catalogVersion"`
	DateReleased    string `json:"dateReleased"`
	Vulnerabilities []KEV  `json:"vulnerabilities"`
}

// ReadKEV reads the catalogue's JSON.
func ReadKEV(r io.Reader) (*KEVCatalog, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxKEV+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxKEV {
		return nil, fmt.Errorf("KEV catalogue over %d bytes", MaxKEV)
	}
	var c KEVCatalog
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("KEV catalogue: %w", err)
	}
	if c.Vulnerabilities == nil {
		return nil, errors.New("KEV catalogue: no \"vulnerabilities\" list")
	}
	for i, v := range c.Vulnerabilities {
		if !cveRe.MatchString(v.CVE) {
			return nil, fmt.Errorf("KEV catalogue: vulnerabilities[%d]: bad cveID %q", i, v.CVE)
		}
	}
	return &c, nil
}

// IsKEV sniffs whether data (a file's first bytes) is a KEV catalogue.
func IsKEV(head []byte) bool {
	s := string(head)
	return strings.Contains(s, `"catalogVersion"`) || strings.Contains(s, `"cveID"`)
}

// EPSS is one CVE's exploit prediction score and percentile, both 0–1.
type EPSS struct {
	CVE        string
	Score      float64
	Percentile float64
}

// EPSSFile is a score file: its model and date (from the comment line)
// and the scores.
type EPSSFile struct {
	Model, Date string
	Scores      []EPSS
}

// ReadEPSS reads an EPSS CSV ("cve,epss,percentile" after an optional
// "#model_version:…,score_date:…" line); gzip input is detected.
func ReadEPSS(r io.Reader) (*EPSSFile, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("EPSS: %w", err)
		}
		br = bufio.NewReader(io.LimitReader(zr, 1<<30))
	}
	f := &EPSSFile{}
	if first, _ := br.Peek(1); len(first) == 1 && first[0] == '#' {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("EPSS: %w", err)
		}
		for _, kv := range strings.Split(strings.TrimSpace(line[1:]), ",") {
			k, v, _ := strings.Cut(kv, ":")
			switch k {
			case "model_version":
				f.Model = v
			case "score_date":
				f.Date = v
			}
		}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = 3
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("EPSS header: %w", err)
	}
	if head[0] != "cve" || head[1] != "epss" || head[2] != "percentile" {
		return nil, fmt.Errorf("EPSS: header %q, want cve,epss,percentile", strings.Join(head, ","))
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			return nil, fmt.Errorf("EPSS: %w", err)
		}
		if len(f.Scores) >= MaxEPSSRows {
			return nil, fmt.Errorf("EPSS: over %d rows", MaxEPSSRows)
		}
		e := EPSS{CVE: rec[0]}
		e.Score, err = strconv.ParseFloat(rec[1], 64)
		if err == nil {
			e.Percentile, err = strconv.ParseFloat(rec[2], 64)
		}
		if err != nil || !cveRe.MatchString(e.CVE) || e.Score < 0 || e.Score > 1 || e.Percentile < 0 || e.Percentile > 1 {
			line, _ := cr.FieldPos(0)
			return nil, fmt.Errorf("EPSS line %d: bad row %q", line, strings.Join(rec, ","))
		}
		f.Scores = append(f.Scores, e)
	}
}
