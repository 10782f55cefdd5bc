// Package classify places a product with digital elements in the CRA's
// classes (Regulation (EU) 2024/2847, Art. 7 and 8, Annexes III and IV)
// from the categories of its core functionality, and lists the conformity
// assessment routes of Art. 32 open to that class, each with the reason.
//
// Classification turns on the product's core functionality (Art. 7(1);
// Implementing Regulation (EU) 2025/2392 describes each category):
// integrating an important component does not by itself make the host
// product important. The answers are the manufacturer's; this package
// applies the rules, it does not guess categories from a product's files.
package classify

import (
	"fmt"
	"slices"
	"strings"
)

// Class is a product's CRA class.
type Class string

const (
	Default     Class = "default"      // not in Annex III or IV
	ImportantI  Class = "important-I"  // Annex III, class I
	ImportantII Class = "important-II" // Annex III, class II
	Critical    Class = "critical"     // Annex IV
)

// rank orders classes by the assessment they demand.
func (c Class) rank() int {
	switch c {
	case ImportantI:
		return 1
	case ImportantII:
		return 2
	case Critical:
		return 3
	}
	return 0
}

// Title names the class as the Regulation does.
func (c Class) Title() string {
	switch c {
	case ImportantI:
		return "important product, class I (Annex III)"
	case ImportantII:
		return "important product, class II (Annex III)"
	case Critical:
		return "critical product (Annex IV)"
	}
	return "default category (neither Annex III nor Annex IV)"
}

// Category is one entry of Annex III or IV.
type Category struct {
	ID    string `json:"id"`    // "I.11", "II.2", "C.3"
	Class Class  `json:"class"` // the class the category puts a product in
	Title string `json:"title"`
}

// Annex names the annex listing the category.
func (c Category) Annex() string {
	if c.Class == Critical {
		return "Annex IV"
	}
	return "Annex III"
}

// categories are Annex III (class I: 19, class II: 4) and Annex IV (3), in
// the Annex's order, paraphrased from the Official Journal text.
var categories = []Category{
	{"I.1", ImportantI, "Identity management systems and privileged access management software and hardware, including authentication and access control readers, including biometric readers"},
	{"I.2", ImportantI, "Standalone and embedded browsers"},
	{"I.3", ImportantI, "Password managers"},
	{"I.4", ImportantI, "Software that searches for, removes, or quarantines malicious software"},
	{"I.5", ImportantI, "Products with digital elements with the function of virtual private network (VPN)"},
	{"I.6", ImportantI, "Network management systems"},
	{"I.7", ImportantI, "Security information and event management (SIEM) systems"},
	{"I.8", ImportantI, "Boot managers"},
	{"I.9", ImportantI, "Public key infrastructure and digital certificate issuance software"},
	{"I.10", ImportantI, "Physical and virtual network interfaces"},
	{"I.11", ImportantI, "Operating systems"},
	{"I.12", ImportantI, "Routers, modems intended for the connection to the internet, and switches"},
	{"I.13", ImportantI, "Microprocessors with security-related functionalities"},
	{"I.14", ImportantI, "Microcontrollers with security-related functionalities"},
	{"I.15", ImportantI, "Application specific integrated circuits (ASIC) and field-programmable gate arrays (FPGA) with security-related functionalities"},
	{"I.16", ImportantI, "Smart home general purpose virtual assistants"},
	{"I.17", ImportantI, "Smart home products with security functionalities, including smart door locks, security cameras, baby monitoring systems and alarm systems"},
	{"I.18", ImportantI, "Internet connected toys covered by Directive 2009/48/EC that have social interactive features or location tracking features"},
	{"I.19", ImportantI, "Personal wearable products to be worn or placed on a human body that have a health monitoring purpose not covered by Regulation (EU) 2017/745 or (EU) 2017/746, or personal wearables intended for the use by and for children"},
	{"II.1", ImportantII, "Hypervisors and container runtime systems that support virtualised execution of operating systems and similar environments"},
	{"II.2", ImportantII, "Firewalls, intrusion detection and intrusion prevention systems"},
	{"II.3", ImportantII, "Tamper-resistant microprocessors"},
	{"II.4", ImportantII, "Tamper-resistant microcontrollers"},
	{"C.1", Critical, "Hardware devices with security boxes"},
	{"C.2", Critical, "Smart meter gateways within smart metering systems as defined in Article 2(23) of Directive (EU) 2019/944 and other devices for advanced security purposes, including for secure cryptoprocessing"},
	{"C.3", Critical, "Smartcards or similar devices, including secure elements"},
}

// Categories returns every category of Annexes III and IV in order.
func Categories() []Category { return slices.Clone(categories) }

// Lookup finds a category by id ("I.11", case-insensitive).
func Lookup(id string) (Category, bool) {
	for _, c := range categories {
		if strings.EqualFold(c.ID, strings.TrimSpace(id)) {
			return c, true
		}
	}
	return Category{}, false
}

// Standards says how far harmonised standards, common specifications or a
// certification scheme covering the requirements were applied (Art. 32(2)).
type Standards string

const (
	StandardsUnknown Standards = ""        // not answered
	StandardsFull    Standards = "full"    // applied in full
	StandardsPartial Standards = "partial" // applied in part
	StandardsNone    Standards = "none"    // not applied, or none exist
)

// Assurance is the assurance level of a European cybersecurity
// certification scheme certificate (Reg. (EU) 2019/881, Art. 52).
type Assurance string

const (
	AssuranceNone        Assurance = ""
	AssuranceBasic       Assurance = "basic"
	AssuranceSubstantial Assurance = "substantial"
	AssuranceHigh        Assurance = "high"
)

func (a Assurance) atLeastSubstantial() bool {
	return a == AssuranceSubstantial || a == AssuranceHigh
}

// Input is the manufacturer's answers.
type Input struct {
	// Categories are the Annex III/IV ids matching the product's core
	// functionality; empty means none applies.
	Categories []string `json:"categories"`
	// Standards: harmonised standards or common specifications covering
	// the essential requirements, applied in full, in part or not at all.
	Standards Standards `json:"standards,omitempty"`
	// Scheme is the assurance level of a European cybersecurity
	// certificate the product holds or will hold, if any.
	Scheme Assurance `json:"scheme,omitempty"`
	// FreeOpenSource: the product is free and open-source software whose
	// technical documentation is made public when it is placed on the
	// market (Art. 32(5)).
	FreeOpenSource bool `json:"free_open_source,omitempty"`
}

// Verdict says whether a route may be used.
type Verdict string

const (
	Open        Verdict = "open"        // may be used
	Closed      Verdict = "closed"      // may not be used
	Conditional Verdict = "conditional" // open once the stated condition holds
)

// Route is one conformity assessment procedure and whether it is open.
type Route struct {
	Module  string  `json:"module"` // "A", "B+C", "H", "scheme"
	Title   string  `json:"title"`
	Verdict Verdict `json:"verdict"`
	Why     string  `json:"why"`
}

// The classification document's kind and version (docs/schemas/classification.schema.json).
const (
	ReportKind    = "classification"
	SchemaVersion = "1.0"
)

// Result is a classification.
type Result struct {
	SchemaVersion string `json:"schema_version"`
	Kind          string `json:"kind"`
	// Product names the product the answers came from, if a product file
	// was read.
	Product    string     `json:"product,omitempty"`
	Class      Class      `json:"class"`
	ClassTitle string     `json:"class_title"`
	Categories []Category `json:"categories"`
	Input      Input      `json:"input"`
	Routes     []Route    `json:"routes"`
	// Reasons explain the class, one sentence each.
	Reasons []string `json:"reasons"`
	// Notes are facts about the state of the law the result relies on.
	Notes []string `json:"notes,omitempty"`
}

var moduleTitles = map[string]string{
	"A":      "Module A: internal control (self-assessment, Annex VIII Part I)",
	"B+C":    "Modules B + C: EU-type examination by a notified body, then conformity to type (Annex VIII Parts II and III)",
	"H":      "Module H: full quality assurance approved by a notified body (Annex VIII Part IV)",
	"scheme": "European cybersecurity certification scheme (Regulation (EU) 2019/881), assurance level at least substantial",
}

// Classify applies Art. 7, 8 and 32 to the answers. Unknown category ids
// are an error.
func Classify(in Input) (*Result, error) {
	if in.Categories == nil {
		in.Categories = []string{}
	}
	r := &Result{SchemaVersion: SchemaVersion, Kind: ReportKind, Class: Default, Input: in, Categories: []Category{}}
	seen := map[string]bool{}
	for _, id := range in.Categories {
		c, ok := Lookup(id)
		if !ok {
			return nil, fmt.Errorf("unknown Annex III/IV category %q (see cradle classify --list)", id)
		}
		if seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		r.Categories = append(r.Categories, c)
		if c.Class.rank() > r.Class.rank() {
			r.Class = c.Class
		}
	}
	switch in.Standards {
	case StandardsUnknown, StandardsFull, StandardsPartial, StandardsNone:
	default:
		return nil, fmt.Errorf("standards %q: want full, partial or none", in.Standards)
	}
	switch in.Scheme {
	case AssuranceNone, AssuranceBasic, AssuranceSubstantial, AssuranceHigh:
	default:
		return nil, fmt.Errorf("scheme %q: want basic, substantial or high", in.Scheme)
	}
	r.ClassTitle = r.Class.Title()
	r.Reasons = reasons(r)
	r.Routes = routes(r.Class, in)
	r.Notes = notes(r.Class)
	return r, nil
}

func reasons(r *Result) []string {
	if len(r.Categories) == 0 {
		return []string{"The core functionality matches no category of Annex III or IV, so the product is in the default category (Art. 32(1))."}
	}
	var out []string
	for _, c := range r.Categories {
		out = append(out, fmt.Sprintf("Core functionality matches %s %s (%s): %s.", c.Annex(), c.ID, c.Class.Title(), c.Title))
	}
	if len(r.Categories) > 1 {
		out = append(out, fmt.Sprintf("With several categories the strictest applies: %s.", r.Class.Title()))
	}
	return out
}

func routes(c Class, in Input) []Route {
	open := func(m, why string) Route { return Route{m, moduleTitles[m], Open, why} }
	closed := func(m, why string) Route { return Route{m, moduleTitles[m], Closed, why} }
	cond := func(m, why string) Route { return Route{m, moduleTitles[m], Conditional, why} }
	scheme := func(why string) Route {
		if in.Scheme.atLeastSubstantial() {
			return open("scheme", "A certificate at assurance level "+string(in.Scheme)+" covers the requirements it certifies ("+why+").")
		}
		return cond("scheme", "Open with a certificate at assurance level substantial or high, where a scheme covering the product exists ("+why+").")
	}
	notified := func(art string) string {
		return "A notified body assesses the product; open to every class (" + art + ")."
	}
	switch c {
	case Default:
		return []Route{
			open("A", "Any product in the default category may self-assess (Art. 32(1)(a))."),
			open("B+C", notified("Art. 32(1)(b)")),
			open("H", notified("Art. 32(1)(c)")),
			scheme("Art. 32(1)(d)"),
		}
	case ImportantI:
		var a Route
		switch {
		case in.FreeOpenSource:
			a = open("A", "Free and open-source software whose technical documentation is public may use module A (Art. 32(5)).")
		case in.Scheme.atLeastSubstantial():
			a = open("A", "A European certificate at assurance level "+string(in.Scheme)+" lets class I self-assess for the requirements it covers (Art. 32(2)).")
		case in.Standards == StandardsFull:
			a = open("A", "Harmonised standards or common specifications applied in full let class I self-assess (Art. 32(2)). Keep the evidence that every requirement is covered.")
		case in.Standards == StandardsPartial:
			a = closed("A", "Standards applied only in part: the requirements they do not cover need module B+C or H (Art. 32(2)).")
		case in.Standards == StandardsNone:
			a = closed("A", "Without harmonised standards, common specifications or a certificate applied in full, class I needs B+C or H (Art. 32(2)).")
		default:
			a = cond("A", "Open only if harmonised standards, common specifications or a certificate at assurance level substantial are applied in full (Art. 32(2)); answer --standards to decide.")
		}
		return []Route{a, open("B+C", notified("Art. 32(2)(a)")), open("H", notified("Art. 32(2)(b)")), scheme("Art. 32(2)")}
	case ImportantII:
		a := closed("A", "Class II may never self-assess (Art. 32(3)).")
		if in.FreeOpenSource {
			a = open("A", "Free and open-source software whose technical documentation is public may use module A even in class II (Art. 32(5)).")
		}
		return []Route{a, open("B+C", notified("Art. 32(3)(a)")), open("H", notified("Art. 32(3)(b)")), scheme("Art. 32(3)(c)")}
	}
	return []Route{
		closed("A", "Critical products may never self-assess (Art. 32(4))."),
		open("B+C", "Open while no delegated act under Art. 8(1) requires a European certificate (Art. 32(4), 32(3)(a))."),
		open("H", "Open while no delegated act under Art. 8(1) requires a European certificate (Art. 32(4), 32(3)(b))."),
		scheme("Art. 8(1), 32(4)"),
	}
}

func notes(c Class) []string {
	switch c {
	case ImportantI:
		return []string{"No harmonised standard under the CRA was cited in the Official Journal as of August 2026; until one is, class I self-assessment needs a common specification or a certificate applied in full. Check the OJ before relying on module A."}
	case Critical:
		return []string{"No delegated act under Art. 8(1) was adopted as of October 2026; once one is, critical products it names must hold a European certificate at assurance level substantial or higher."}
	}
	return nil
}
