// Package cra is cradle's catalogue of the EU Cyber Resilience Act
// (Regulation (EU) 2024/2847): the essential requirements of Annex I with
// stable ids, short titles and the Regulation's wording, in the order the
// Annex lists them. Rules reference these ids, reports and documentation
// show their titles; later catalogues (evidence packs, Annex VII technical
// documentation) build on the same ids.
//
// The ids (CRA.A1.P1.2b = Annex I, Part I, point (2)(b)) are cradle's own
// convention, not official numbering; Official gives the Annex's own
// identifier. Requirement paraphrases the Official Journal text; where the
// exact wording matters, the Official Journal is authoritative.
package cra

import (
	"fmt"
	"strings"
)

// Point is one essential requirement of Annex I.
type Point struct {
	// ID is the stable reference id, e.g. "CRA.A1.P1.2b".
	ID string
	// Part is the Annex I part: 1 (product properties) or 2
	// (vulnerability handling).
	Part int
	// Official is the Regulation's own identifier of the point.
	Official string
	// Title is a short name, fit for a table cell or a chart label.
	Title string
	// Requirement is what the point requires, in a close paraphrase of the
	// Regulation's wording.
	Requirement string
}

// PartTitle returns the heading of an Annex I part.
func PartTitle(part int) string {
	switch part {
	case 1:
		return "Annex I, Part I: cybersecurity requirements relating to the properties of products"
	case 2:
		return "Annex I, Part II: vulnerability handling requirements"
	}
	return ""
}

// annexI lists the points in the Annex's order, paraphrased from Regulation
// (EU) 2024/2847, OJ L, 20.11.2024, Annex I (ELI
// http://data.europa.eu/eli/reg/2024/2847/oj).
var annexI = []Point{
	{"CRA.A1.P1.1", 1, "Annex I, Part I, point (1)", "Cybersecurity appropriate to the risks",
		"Design, develop and produce the product so that its cybersecurity level is appropriate to the risks."},
	{"CRA.A1.P1.2a", 1, "Annex I, Part I, point (2)(a)", "No known exploitable vulnerabilities",
		"Ship with no known exploitable vulnerabilities."},
	{"CRA.A1.P1.2b", 1, "Annex I, Part I, point (2)(b)", "Secure by default configuration",
		"Ship with a secure-by-default configuration (unless agreed otherwise with a business user for a tailor-made product), and allow reset to the original state."},
	{"CRA.A1.P1.2c", 1, "Annex I, Part I, point (2)(c)", "Vulnerabilities fixable by updates",
		"Make vulnerabilities fixable by security updates; where applicable, automatic security updates on by default within a suitable timeframe, with a clear, easy opt-out, update notifications, and an option to postpone temporarily."},
	{"CRA.A1.P1.2d", 1, "Annex I, Part I, point (2)(d)", "Protection from unauthorised access",
		"Protect against unauthorised access with suitable controls (authentication, identity/access management, etc.) and report possible unauthorised access."},
	{"CRA.A1.P1.2e", 1, "Annex I, Part I, point (2)(e)", "Confidentiality of data",
		"Protect confidentiality of data at rest, in transit or otherwise processed (personal or not), e.g. state-of-the-art encryption."},
	{"CRA.A1.P1.2f", 1, "Annex I, Part I, point (2)(f)", "Integrity of data and configuration",
		"Protect integrity of data, commands, programs and configuration against manipulation not authorised by the user, and report corruption."},
	{"CRA.A1.P1.2g", 1, "Annex I, Part I, point (2)(g)", "Data minimisation",
		"Process only data that are adequate, relevant and limited to the intended purpose (data minimisation)."},
	{"CRA.A1.P1.2h", 1, "Annex I, Part I, point (2)(h)", "Availability of essential functions",
		"Keep essential and basic functions available, also after an incident, including resilience and DoS mitigation."},
	{"CRA.A1.P1.2i", 1, "Annex I, Part I, point (2)(i)", "Minimal impact on other services",
		"Minimise the product's (and connected devices') negative effect on availability of other devices' or networks' services."},
	{"CRA.A1.P1.2j", 1, "Annex I, Part I, point (2)(j)", "Limited attack surfaces",
		"Limit attack surfaces, including external interfaces."},
	{"CRA.A1.P1.2k", 1, "Annex I, Part I, point (2)(k)", "Exploitation mitigation",
		"Reduce incident impact via suitable exploitation-mitigation mechanisms and techniques."},
	{"CRA.A1.P1.2l", 1, "Annex I, Part I, point (2)(l)", "Monitoring of security-relevant activity",
		"Provide security-related information by recording/monitoring relevant internal activity (access to or change of data, services, functions), with a user opt-out."},
	{"CRA.A1.P1.2m", 1, "Annex I, Part I, point (2)(m)", "Secure deletion and transfer of data",
		"Let users securely and easily delete all data and settings permanently; where data can be moved to other products/systems, make the transfer secure."},
	{"CRA.A1.P2.1", 2, "Annex I, Part II, point (1)", "Identify and document vulnerabilities",
		"Identify and document vulnerabilities and components, including an SBOM in a commonly used, machine-readable format covering at least the top-level dependencies."},
	{"CRA.A1.P2.2", 2, "Annex I, Part II, point (2)", "Remediate vulnerabilities without delay",
		"Address and remediate vulnerabilities without delay, relative to the risk, including via security updates; where technically feasible, ship security updates separately from feature updates."},
	{"CRA.A1.P2.3", 2, "Annex I, Part II, point (3)", "Regular security testing",
		"Run effective and regular security tests and reviews of the product."},
	{"CRA.A1.P2.4", 2, "Annex I, Part II, point (4)", "Disclose fixed vulnerabilities",
		"Once an update is available, share and publicly disclose fixed vulnerabilities: description, how to identify affected products, impact, severity, and clear remediation guidance. Publication may be delayed in duly justified cases until users could patch, if publishing would do more harm than good."},
	{"CRA.A1.P2.5", 2, "Annex I, Part II, point (5)", "Coordinated vulnerability disclosure",
		"Have and enforce a coordinated vulnerability disclosure (CVD) policy."},
	{"CRA.A1.P2.6", 2, "Annex I, Part II, point (6)", "Share vulnerability information",
		"Facilitate sharing of information on potential vulnerabilities in the product and its third-party components, including a contact address for vulnerability reports."},
	{"CRA.A1.P2.7", 2, "Annex I, Part II, point (7)", "Secure update distribution",
		"Provide mechanisms to distribute updates securely so that vulnerabilities are fixed or mitigated in time, automatically where applicable for security updates."},
	{"CRA.A1.P2.8", 2, "Annex I, Part II, point (8)", "Timely, free security updates",
		"Disseminate available security updates without delay and free of charge (unless otherwise agreed with a business user for a tailor-made product), with advisory messages telling users what they need to know and do."},
}

var byID = func() map[string]int {
	m := make(map[string]int, len(annexI))
	for i, p := range annexI {
		m[p.ID] = i
	}
	return m
}()

// AnnexI returns every point of Annex I in the Annex's order. The slice is
// a copy; callers may keep or modify it.
func AnnexI() []Point {
	return append([]Point(nil), annexI...)
}

// Lookup returns the point with the given id.
func Lookup(id string) (Point, bool) {
	i, ok := byID[id]
	if !ok {
		return Point{}, false
	}
	return annexI[i], true
}

// Title returns the short title of id, or "" for an unknown id.
func Title(id string) string {
	p, _ := Lookup(id)
	return p.Title
}

// Compare orders two ids as Annex I lists them; unknown ids sort after
// known ones, by name.
func Compare(a, b string) int {
	ia, oka := byID[a]
	ib, okb := byID[b]
	switch {
	case oka && okb:
		return ia - ib
	case oka:
		return -1
	case okb:
		return 1
	}
	return strings.Compare(a, b)
}

// Validate checks a reference string a rule or document uses. The error
// names the expected form.
func Validate(ref string) error {
	if _, ok := byID[ref]; ok {
		return nil
	}
	return fmt.Errorf("%q is not a CRA Annex I id like CRA.A1.P1.2b (known: %s … %s)", ref, annexI[0].ID, annexI[len(annexI)-1].ID)
}
