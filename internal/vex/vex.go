// Package vex reads Vulnerability Exploitability eXchange statements —
// OpenVEX JSON (v0.2.0 and the earlier v0.0.x) and CycloneDX VEX JSON —
// into one model: which vulnerability, for which products (package URLs
// or CycloneDX bom-refs), with which status and justification. Documents
// are untrusted input, read with bounds.
package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxDocument bounds one VEX document.
const MaxDocument = 32 << 20

// Statuses (OpenVEX's words; CycloneDX analysis states are mapped).
const (
	NotAffected        = "not_affected"
	Affected           = "affected"
	Fixed              = "fixed"
	UnderInvestigation = "under_investigation"
)

// Statement is one VEX statement.
type Statement struct {
	Vulnerability string   // the id the statement names (CVE, GHSA, GO-…)
	Aliases       []string // other ids it gives for it
	// Products are purls or bom-refs; empty means every product.
	Products      []string
	Status        string
	Justification string // OpenVEX/CycloneDX justification
	Impact        string // impact statement or analysis detail
	Source        string // the document's file name
}

// Suppresses says whether the statement removes a finding from the gate.
func (s Statement) Suppresses() bool { return s.Status == NotAffected || s.Status == Fixed }

// Read parses an OpenVEX or CycloneDX VEX document.
func Read(r io.Reader, source string) ([]Statement, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocument+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxDocument {
		return nil, fmt.Errorf("VEX %s: over %d bytes", source, MaxDocument)
	}
	var probe struct {
		Context   any    `json:"@context"`
		BOMFormat string `json:"bomFormat"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("VEX %s: %w", source, err)
	}
	var out []Statement
	switch {
	case probe.BOMFormat == "CycloneDX":
		out, err = readCycloneDX(data)
	case probe.Context != nil && strings.Contains(fmt.Sprint(probe.Context), "openvex"):
		out, err = readOpenVEX(data)
	default:
		err = errors.New("neither OpenVEX (@context openvex) nor CycloneDX (bomFormat)")
	}
	if err != nil {
		return nil, fmt.Errorf("VEX %s: %w", source, err)
	}
	for i := range out {
		out[i].Source = source
	}
	return out, nil
}

type openVEX struct {
	Statements []struct {
		Vulnerability json.RawMessage   `json:"vulnerability"`
		Products      []json.RawMessage `json:"products"`
		Status        string            `json:"status"`
		Justification string            `json:"justification"`
		Impact        string            `json:"impact_statement"`
	} `json:"statements"`
}

func readOpenVEX(data []byte) ([]Statement, error) {
	var doc openVEX
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	var out []Statement
	for i, s := range doc.Statements {
		st := Statement{Status: s.Status, Justification: s.Justification, Impact: s.Impact}
		// v0.2.0: {"name": …, "aliases": […]}; v0.0.x: a plain string.
		var v struct {
			Name    string   `json:"name"`
			ID      string   `json:"@id"`
			Aliases []string `json:"aliases"`
		}
		if err := json.Unmarshal(s.Vulnerability, &st.Vulnerability); err != nil {
			if err := json.Unmarshal(s.Vulnerability, &v); err != nil {
				return nil, fmt.Errorf("statements[%d].vulnerability: %w", i, err)
			}
			st.Vulnerability, st.Aliases = v.Name, v.Aliases
		}
		for _, p := range s.Products {
			ids, err := productIDs(p)
			if err != nil {
				return nil, fmt.Errorf("statements[%d].products: %w", i, err)
			}
			st.Products = append(st.Products, ids...)
		}
		if err := st.check(); err != nil {
			return nil, fmt.Errorf("statements[%d]: %w", i, err)
		}
		out = append(out, st)
	}
	return out, nil
}

// productIDs reads a product: a string (v0.0.x) or {"@id", "identifiers":
// {"purl"}, "subcomponents": […]}; subcomponents are the packages meant.
func productIDs(raw json.RawMessage) ([]string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, nil
	}
	var p struct {
		ID          string            `json:"@id"`
		Identifiers map[string]string `json:"identifiers"`
		Sub         []struct {
			ID          string            `json:"@id"`
			Identifiers map[string]string `json:"identifiers"`
		} `json:"subcomponents"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	var ids []string
	for _, sc := range p.Sub {
		ids = append(ids, nonEmpty(sc.ID, sc.Identifiers["purl"])...)
	}
	if len(ids) == 0 {
		ids = nonEmpty(p.ID, p.Identifiers["purl"])
	}
	return ids, nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (s Statement) check() error {
	if s.Vulnerability == "" {
		return errors.New("no vulnerability")
	}
	switch s.Status {
	case NotAffected, Affected, Fixed, UnderInvestigation:
	default:
		return fmt.Errorf("unknown status %q", s.Status)
	}
	return nil
}

type cdxVEX struct {
	Vulnerabilities []struct {
		ID         string `json:"id"`
		References []struct {
			ID string `json:"id"`
		} `json:"references"`
		Analysis *struct {
			State         string `json:"state"`
			Justification string `json:"justification"`
			Detail        string `json:"detail"`
		} `json:"analysis"`
		Affects []struct {
			Ref string `json:"ref"`
		} `json:"affects"`
	} `json:"vulnerabilities"`
}

// cdxStates maps CycloneDX analysis states to VEX statuses.
var cdxStates = map[string]string{"not_affected": NotAffected, "false_positive": NotAffected,
	"resolved": Fixed, "resolved_with_pedigree": Fixed, "exploitable": Affected, "in_triage": UnderInvestigation}

func readCycloneDX(data []byte) ([]Statement, error) {
	var doc cdxVEX
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	var out []Statement
	for i, v := range doc.Vulnerabilities {
		if v.Analysis == nil {
			continue // a vulnerability report entry without a VEX analysis
		}
		st := Statement{Vulnerability: v.ID, Status: cdxStates[v.Analysis.State], Justification: v.Analysis.Justification, Impact: v.Analysis.Detail}
		if st.Status == "" {
			return nil, fmt.Errorf("vulnerabilities[%d]: unknown analysis state %q", i, v.Analysis.State)
		}
		for _, r := range v.References {
			st.Aliases = append(st.Aliases, r.ID)
		}
		for _, a := range v.Affects {
			// "urn:cdx:…#purl" bom-links keep the ref after '#'.
			ref := a.Ref
			if j := strings.LastIndexByte(ref, '#'); j >= 0 && strings.HasPrefix(ref, "urn:cdx:") {
				ref = ref[j+1:]
			}
			st.Products = append(st.Products, ref)
		}
		if err := st.check(); err != nil {
			return nil, fmt.Errorf("vulnerabilities[%d]: %w", i, err)
		}
		out = append(out, st)
	}
	return out, nil
}
