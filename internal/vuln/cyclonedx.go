package vuln

import (
	"io"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// openVEXToCDX maps OpenVEX justifications to CycloneDX's.
var openVEXToCDX = map[string]cdx.ImpactAnalysisJustification{
	"component_not_present":                             cdx.IAJCodeNotPresent,
	"vulnerable_code_not_present":                       cdx.IAJCodeNotPresent,
	"vulnerable_code_not_in_execute_path":               cdx.IAJCodeNotReachable,
	"vulnerable_code_cannot_be_controlled_by_adversary": cdx.IAJRequiresEnvironment,
	"inline_mitigations_already_exist":                  cdx.IAJProtectedByMitigatingControl,
}

var cdxStates = map[string]cdx.ImpactAnalysisState{"not_affected": cdx.IASNotAffected, "fixed": cdx.IASResolved,
	"affected": cdx.IASExploitable, "under_investigation": cdx.IASInTriage}

var cdxMethods = map[string]cdx.ScoringMethod{"3.0": cdx.ScoringMethodCVSSv3, "3.1": cdx.ScoringMethodCVSSv31, "4.0": cdx.ScoringMethodCVSSv4}

// CycloneDX writes a CycloneDX 1.6 vulnerability disclosure report (VDR;
// with VEX analyses where statements applied): the affected packages as
// components, one vulnerability per finding, referencing them by purl.
// The SBOM itself stays free of vulnerability data (TR-03183-2): this is
// a separate document.
func (r *Report) CycloneDX(w io.Writer, toolVersion string) error {
	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.Metadata = &cdx.Metadata{Timestamp: r.Time.UTC().Format(time.RFC3339),
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: "cradle", Version: toolVersion}}},
		Component: &cdx.Component{Type: cdx.ComponentTypeApplication, Name: r.Target, BOMRef: "target"}}
	comps, vulns := []cdx.Component{}, []cdx.Vulnerability{}
	refs := map[string]bool{}
	for _, f := range r.Findings {
		ref := firstNonEmpty(f.Package.PURL, f.Package.Ecosystem+"/"+f.Package.Name+"@"+f.Package.Version)
		if !refs[ref] {
			refs[ref] = true
			comps = append(comps, cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: f.Package.Name, Version: f.Package.Version, PackageURL: f.Package.PURL})
		}
		v := cdx.Vulnerability{BOMRef: f.ID + "/" + ref, ID: f.ID, Description: f.Summary,
			Source:  &cdx.Source{Name: "OSV", URL: "https://osv.dev/vulnerability/" + f.ID},
			Affects: &[]cdx.Affects{{Ref: ref}}}
		var aliases []cdx.VulnerabilityReference
		for _, a := range f.Aliases {
			aliases = append(aliases, cdx.VulnerabilityReference{ID: a, Source: &cdx.Source{Name: strings.SplitN(a, "-", 2)[0]}})
		}
		if len(aliases) > 0 {
			v.References = &aliases
		}
		rating := cdx.VulnerabilityRating{Severity: cdx.Severity(f.Severity)}
		if f.CVSS != nil {
			score := f.CVSS.Score
			rating.Score, rating.Method, rating.Vector = &score, cdxMethods[f.CVSS.Version], f.CVSS.Vector
		}
		v.Ratings = &[]cdx.VulnerabilityRating{rating}
		if len(f.FixedVersions) > 0 {
			v.Recommendation = "Upgrade " + f.Package.Name + " to " + f.FixedVersions[0] + " or later."
		}
		if f.VEX != nil {
			j := openVEXToCDX[f.VEX.Justification]
			if j == "" {
				j = cdx.ImpactAnalysisJustification(f.VEX.Justification)
			}
			v.Analysis = &cdx.VulnerabilityAnalysis{State: cdxStates[f.VEX.Status], Justification: j, Detail: f.VEX.Impact}
		}
		props := []cdx.Property{{Name: "cradle:exploited", Value: map[bool]string{true: "true", false: "false"}[f.Exploited]}}
		if f.KEV != nil {
			props = append(props, cdx.Property{Name: "cradle:kev:date_added", Value: f.KEV.DateAdded})
		}
		v.Properties = &props
		vulns = append(vulns, v)
	}
	bom.Components, bom.Vulnerabilities = &comps, &vulns
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	return enc.EncodeVersion(bom, cdx.SpecVersion1_6)
}
