package vuln

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"
)

// Formats the report renders to.
var Formats = []string{"table", "json", "sarif", "cyclonedx", "openvex"}

// Table writes the human summary: one line per finding, suppressed ones
// marked, then gaps and the gate.
func (r *Report) Table(w io.Writer) error {
	age := time.Duration(r.Database.AgeSeconds) * time.Second
	fmt.Fprintf(w, "Target: %s (%d components)\nDatabase: %s, %d records, updated %s (%s ago)\n\n", r.Target, r.Components,
		r.Database.Path, r.Database.Vulns, r.Database.Updated.Format(time.RFC3339), age.Round(time.Minute))
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, "No known vulnerabilities.")
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPACKAGE\tVERSION\tFIXED IN\tSEVERITY\tNOTE")
		for _, f := range r.Findings {
			fixed := "-"
			if len(f.FixedVersions) > 0 {
				fixed = f.FixedVersions[0]
			}
			var note []string
			if f.Exploited {
				note = append(note, "known exploited")
			}
			if f.VEX != nil {
				note = append(note, "VEX "+f.VEX.Status+" "+f.VEX.Justification)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.ID, f.Package.Name, f.Package.Version, fixed, f.Severity, strings.TrimSpace(strings.Join(note, "; ")))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Gaps) > 0 {
		fmt.Fprintf(w, "\nNot checked (%d):\n", len(r.Gaps))
		for _, g := range r.Gaps {
			fmt.Fprintf(w, "  %s %s: %s\n", g.Package.Name, g.Package.Version, g.Reason)
		}
	}
	fmt.Fprintf(w, "\n%d findings (%d suppressed by VEX, %d known exploited).", r.Summary.Findings, r.Summary.Suppressed, r.Summary.Exploited)
	fmt.Fprintln(w, " "+r.Gate.Explain())
	return nil
}

// JSON writes the report document.
func (r *Report) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// sarifLevel maps severities to SARIF levels.
func sarifLevel(f Finding) string {
	switch {
	case f.Exploited || f.Severity == SeverityCritical || f.Severity == SeverityHigh || f.Severity == SeverityUnknown:
		return "error"
	case f.Severity == SeverityMedium:
		return "warning"
	}
	return "note"
}

// SARIF writes SARIF 2.1.0: one rule per vulnerability id, one result per
// finding located at the package URL; VEX-suppressed findings carry a
// suppression with the justification.
func (r *Report) SARIF(w io.Writer, toolVersion string) error {
	type obj = map[string]any
	var rules, results []obj
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if !seen[f.ID] {
			seen[f.ID] = true
			rules = append(rules, obj{"id": f.ID, "shortDescription": obj{"text": firstNonEmpty(f.Summary, f.ID)},
				"helpUri": "https://osv.dev/vulnerability/" + f.ID, "properties": obj{"aliases": f.Aliases, "severity": f.Severity}})
		}
		fixed := "no fixed version known"
		if len(f.FixedVersions) > 0 {
			fixed = "fixed in " + f.FixedVersions[0]
		}
		loc := firstNonEmpty(f.Package.PURL, f.Package.Name)
		res := obj{"ruleId": f.ID, "level": sarifLevel(f),
			"message":    obj{"text": fmt.Sprintf("%s %s is affected by %s (%s); %s", f.Package.Name, f.Package.Version, f.ID, f.Severity, fixed)},
			"locations":  []obj{{"logicalLocations": []obj{{"fullyQualifiedName": loc, "kind": "package"}}}},
			"properties": obj{"exploited": f.Exploited, "fixed_versions": f.FixedVersions}}
		if f.VEX != nil && f.VEX.Suppressed {
			res["suppressions"] = []obj{{"kind": "external", "justification": strings.TrimSpace(f.VEX.Status + " " + f.VEX.Justification + " " + f.VEX.Impact)}}
		}
		results = append(results, res)
	}
	// SARIF wants arrays, never null, even when nothing was found.
	if rules == nil {
		rules = []obj{}
	}
	if results == nil {
		results = []obj{}
	}
	doc := obj{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
		"runs": []obj{{"tool": obj{"driver": obj{"name": "cradle", "version": toolVersion, "informationUri": "https://github.com/cradle-cra/cradle", "rules": rules}},
			"results": results}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// OpenVEX writes an OpenVEX v0.2.0 document with one "affected" statement
// per finding (or the applied VEX status): the starting point of a
// product team's own VEX triage.
func (r *Report) OpenVEX(w io.Writer, toolVersion string) error {
	type obj = map[string]any
	stmts := []obj{}
	for _, f := range r.Findings {
		st := obj{"vulnerability": obj{"name": f.ID, "aliases": f.Aliases},
			"products": []obj{{"@id": firstNonEmpty(f.Package.PURL, f.Package.Name)}}, "status": "affected"}
		if f.VEX != nil {
			st["status"] = f.VEX.Status
			openVEXReason(st, f.VEX)
		}
		if st["status"] == "affected" {
			fix := "Upgrade to a version without the vulnerability."
			if len(f.FixedVersions) > 0 {
				fix = "Upgrade " + f.Package.Name + " to " + f.FixedVersions[0] + " or later."
			}
			st["action_statement"] = fix
		}
		stmts = append(stmts, st)
	}
	doc := obj{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "urn:cradle:vuln:" + url.PathEscape(r.Target) + ":" + r.Time.Format(time.RFC3339),
		"author": "cradle " + toolVersion, "timestamp": r.Time.Format(time.RFC3339), "version": 1, "statements": stmts}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// cdxToOpenVEX maps CycloneDX justifications (a CycloneDX VEX input) to
// OpenVEX's closest one; requires_* have none.
var cdxToOpenVEX = map[string]string{
	"code_not_present": "vulnerable_code_not_present", "code_not_reachable": "vulnerable_code_not_in_execute_path",
	"protected_by_compiler": "inline_mitigations_already_exist", "protected_at_runtime": "inline_mitigations_already_exist",
	"protected_at_perimeter": "inline_mitigations_already_exist", "protected_by_mitigating_control": "inline_mitigations_already_exist",
}

// openVEXReason writes a statement's reason as OpenVEX v0.2.0 allows it:
// a justification from its list, or else an impact statement (a
// not_affected statement carries exactly one of the two); the other
// words are kept in status_notes, so nothing of the input is lost.
func openVEXReason(st map[string]any, v *VEX) {
	just, impact := v.Justification, v.Impact
	if _, ok := openVEXToCDX[just]; !ok && just != "" {
		if m, ok := cdxToOpenVEX[just]; ok {
			just = m
		} else {
			impact = strings.TrimSpace("justification " + just + ". " + impact)
			just = ""
		}
	}
	switch {
	case just != "" && impact != "":
		st["justification"] = just
		st["status_notes"] = impact
	case just != "":
		st["justification"] = just
	case impact != "":
		st["impact_statement"] = impact
	case v.Status == "not_affected":
		st["impact_statement"] = "stated not_affected by " + v.Source + " without a reason"
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
