// Package xccdf reads XCCDF 1.2 benchmarks and tailoring files (plain or
// inside a SCAP source data stream), resolves a profile into the selected
// rules and their values, decides CPE applicability and turns check
// outcomes into XCCDF rule results and the default score.
package xccdf

import (
	"encoding/xml"
	"strings"
)

// NS is the XCCDF 1.2 namespace.
const NS = "http://checklists.nist.gov/xccdf/1.2"

// Check systems cradle evaluates.
const (
	SystemOVAL = "http://oval.mitre.org/XMLSchema/oval-definitions-5"
	SystemOCIL = "http://scap.nist.gov/schema/ocil/2"
)

// Benchmark is an XCCDF Benchmark.
type Benchmark struct {
	XMLName   xml.Name
	ID        string       `xml:"id,attr"`
	Resolved  string       `xml:"resolved,attr"`
	Status    []Text       `xml:"status"`
	Title     []Text       `xml:"title"`
	Version   Text         `xml:"version"`
	Platforms []Idref      `xml:"platform"`
	Profiles  []*Profile   `xml:"Profile"`
	PlatSpec  *PlatSpec    `xml:"http://cpe.mitre.org/language/2.0 platform-specification"`
	Items     []*Item      `xml:",any"`
	Models    []ScoreModel `xml:"model"`

	// indexes built by index()
	rules, groups, values map[string]*Item
	parent                map[*Item]*Item
	clusters              map[string][]*Item
	order                 []*Item // rules in document order
}

// ScoreModel names a scoring model the benchmark suggests.
type ScoreModel struct {
	System string `xml:"system,attr"`
}

// Text is a (possibly localised) text element, reduced to its plain text
// (XHTML markup dropped, white space collapsed) as it is decoded.
type Text struct {
	Lang  string
	Inner string
}

// UnmarshalXML keeps the character data of the element and its
// descendants: the bounded decoder reads tokens, so ",innerxml" is not
// available, and cradle's formats want plain text anyway.
func (t *Text) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for _, a := range start.Attr {
		if a.Name.Local == "lang" {
			t.Lang = a.Value
		}
	}
	var b strings.Builder
	for depth := 1; depth > 0; {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case xml.StartElement:
			depth++
			if block[v.Name.Local] {
				b.WriteByte(' ')
			}
		case xml.EndElement:
			depth--
			if block[v.Name.Local] {
				b.WriteByte(' ')
			}
		case xml.CharData:
			if b.Len() < maxText {
				b.Write(v)
			}
		}
	}
	t.Inner = strings.Join(strings.Fields(b.String()), " ")
	return nil
}

// block are the XHTML elements that separate words.
var block = map[string]bool{"br": true, "p": true, "li": true, "div": true, "pre": true, "ul": true, "ol": true,
	"tr": true, "td": true, "th": true, "h1": true, "h2": true, "h3": true, "h4": true, "blockquote": true}

// maxText bounds the text kept of one element.
const maxText = 64 << 10

// Idref is an element naming something by idref.
type Idref struct {
	Idref string `xml:"idref,attr"`
}

// Item is a Group, Rule or Value (or an element cradle does not use,
// kept by ",any" and ignored): one type keeps the document order of a
// group's children.
type Item struct {
	XMLName    xml.Name
	ID         string      `xml:"id,attr"`
	ClusterID  string      `xml:"cluster-id,attr"`
	Selected   string      `xml:"selected,attr"`
	Hidden     string      `xml:"hidden,attr"`
	Abstract   string      `xml:"abstract,attr"`
	Severity   string      `xml:"severity,attr"`
	Weight     string      `xml:"weight,attr"`
	Role       string      `xml:"role,attr"`
	Type       string      `xml:"type,attr"`     // Value
	Operator   string      `xml:"operator,attr"` // Value
	Title      []Text      `xml:"title"`
	Desc       []Text      `xml:"description"`
	Rationale  []Text      `xml:"rationale"`
	Platforms  []Idref     `xml:"platform"`
	Idents     []Ident     `xml:"ident"`
	References []Reference `xml:"reference"`
	Checks     []*Check    `xml:"check"`
	Complex    *Complex    `xml:"complex-check"`
	Fixes      []Fix       `xml:"fix"`
	Requires   []Idref     `xml:"requires"` // idref: a space-separated list, one of which suffices
	Conflicts  []Idref     `xml:"conflicts"`
	Values     []SelText   `xml:"value"`   // Value
	Defaults   []SelText   `xml:"default"` // Value
	Children   []*Item     `xml:",any"`
}

// Fix is noted only to say a rule has one; cradle never runs it.
type Fix struct {
	System string `xml:"system,attr"`
}

// Kind is "Group", "Rule", "Value" or "" for other elements.
func (it *Item) Kind() string {
	if it.XMLName.Space != NS {
		return ""
	}
	switch it.XMLName.Local {
	case "Group", "Rule", "Value":
		return it.XMLName.Local
	}
	return ""
}

// Ident is an identifier of a rule (a CCE, a STIG id …).
type Ident struct {
	System string `xml:"system,attr"`
	Value  string `xml:",chardata"`
}

// Reference is a rule's reference (a control of NIST SP 800-53, CIS …).
type Reference struct {
	Href  string `xml:"href,attr"`
	Value string `xml:",chardata"`
}

// SelText is a Value's value or default, with its selector.
type SelText struct {
	Selector string `xml:"selector,attr"`
	Value    string `xml:",chardata"`
}

// Check is a rule's check.
type Check struct {
	System     string       `xml:"system,attr"`
	Negate     bool         `xml:"negate,attr"`
	MultiCheck bool         `xml:"multi-check,attr"`
	Selector   string       `xml:"selector,attr"`
	Exports    []Export     `xml:"check-export"`
	Refs       []ContentRef `xml:"check-content-ref"`
}

// Export binds an XCCDF Value to a checking-system variable.
type Export struct {
	ValueID string `xml:"value-id,attr"`
	Name    string `xml:"export-name,attr"`
}

// ContentRef names the checking content.
type ContentRef struct {
	Href string `xml:"href,attr"`
	Name string `xml:"name,attr"`
}

// Complex is a complex-check: a boolean combination of checks.
type Complex struct {
	Operator string     `xml:"operator,attr"`
	Negate   bool       `xml:"negate,attr"`
	Checks   []*Check   `xml:"check"`
	Complex  []*Complex `xml:"complex-check"`
}

// Profile is an XCCDF Profile (of a benchmark or a tailoring file).
type Profile struct {
	ID           string        `xml:"id,attr"`
	Extends      string        `xml:"extends,attr"`
	Abstract     string        `xml:"abstract,attr"`
	Title        []Text        `xml:"title"`
	Desc         []Text        `xml:"description"`
	Platforms    []Idref       `xml:"platform"`
	Selects      []Select      `xml:"select"`
	SetValues    []SetValue    `xml:"set-value"`
	RefineValues []RefineValue `xml:"refine-value"`
	RefineRules  []RefineRule  `xml:"refine-rule"`
	SetComplex   []SetValue    `xml:"set-complex-value"`
}

// Select selects or unselects a rule, group or cluster.
type Select struct {
	Idref    string `xml:"idref,attr"`
	Selected bool   `xml:"selected,attr"`
}

// SetValue sets a Value outright.
type SetValue struct {
	Idref string `xml:"idref,attr"`
	Value string `xml:",chardata"`
}

// RefineValue picks one of a Value's selectors.
type RefineValue struct {
	Idref    string `xml:"idref,attr"`
	Selector string `xml:"selector,attr"`
	Operator string `xml:"operator,attr"`
}

// RefineRule changes a rule's (or group's, cluster's) weight, severity,
// role or check selector.
type RefineRule struct {
	Idref    string `xml:"idref,attr"`
	Selector string `xml:"selector,attr"`
	Severity string `xml:"severity,attr"`
	Weight   string `xml:"weight,attr"`
	Role     string `xml:"role,attr"`
}

// PlatSpec is a CPE applicability language platform-specification.
type PlatSpec struct {
	Platforms []Platform `xml:"platform"`
}

// Platform is a named logical test over CPE names and checks.
type Platform struct {
	ID    string      `xml:"id,attr"`
	Title []Text      `xml:"title"`
	Test  LogicalTest `xml:"logical-test"`
}

// LogicalTest is a cpe-lang logical-test.
type LogicalTest struct {
	Operator   string         `xml:"operator,attr"`
	Negate     bool           `xml:"negate,attr"`
	Tests      []LogicalTest  `xml:"logical-test"`
	FactRefs   []Idref2       `xml:"fact-ref"`
	CheckFacts []CheckFactRef `xml:"check-fact-ref"`
}

// Idref2 is a fact-ref (a CPE name).
type Idref2 struct {
	Name string `xml:"name,attr"`
}

// CheckFactRef is a cpe-lang check-fact-ref: a check evaluated directly.
type CheckFactRef struct {
	System string `xml:"system,attr"`
	Href   string `xml:"href,attr"`
	IDRef  string `xml:"id-ref,attr"`
}

// text returns the first text of ts, preferring English.
func text(ts []Text) string {
	if len(ts) == 0 {
		return ""
	}
	for _, t := range ts {
		if strings.HasPrefix(strings.ToLower(t.Lang), "en") {
			return t.Inner
		}
	}
	return ts[0].Inner
}

// Title returns a text element's plain text (English preferred).
func Title(ts []Text) string { return text(ts) }
