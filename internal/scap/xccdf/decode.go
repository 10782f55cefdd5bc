package xccdf

import (
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/scap"
	"github.com/cradle-cra/cradle/internal/xmlsafe"
)

// The benchmark is built from scap.ParseTree's tree by hand rather than
// by encoding/xml's reflection over the tokenizer, which read 6–10 MB of
// SSG benchmark byte by byte and was most of the cost of loading. The
// rules are those of the struct tags in model.go: elements and attributes
// match by local name in any namespace (the CPE platform-specification by
// namespace too), the last of repeated attributes wins, repeated
// non-slice elements decode into the same value, and boolean attributes
// are read by strconv.ParseBool (an empty value is false).

const nsCPELang = "http://cpe.mitre.org/language/2.0"

func boolAttr(n *scap.Node, local string, dst *bool) error {
	for _, a := range n.Attr {
		if a.Name.Local != local {
			continue
		}
		if a.Value == "" {
			*dst = false
			continue
		}
		v, err := strconv.ParseBool(strings.TrimSpace(a.Value))
		if err != nil {
			return &xmlsafe.Error{Line: n.Line, Err: err}
		}
		*dst = v
	}
	return nil
}

func benchmarkFrom(n *scap.Node) (*Benchmark, error) {
	b := &Benchmark{XMLName: n.Name, ID: n.AttrValue("id"), Resolved: n.AttrValue("resolved")}
	for k := n.First; k != nil; k = k.Next {
		switch k.Name.Local {
		case "status":
			b.Status = append(b.Status, textFrom(k))
		case "title":
			b.Title = append(b.Title, textFrom(k))
		case "version":
			setText(&b.Version, k)
		case "platform":
			b.Platforms = append(b.Platforms, Idref{Idref: k.AttrValue("idref")})
		case "Profile":
			p, err := profileFrom(k)
			if err != nil {
				return nil, err
			}
			b.Profiles = append(b.Profiles, p)
		case "model":
			b.Models = append(b.Models, ScoreModel{System: k.AttrValue("system")})
		case "platform-specification":
			if k.Name.Space == nsCPELang {
				if b.PlatSpec == nil {
					b.PlatSpec = &PlatSpec{}
				}
				if err := platSpecFrom(k, b.PlatSpec); err != nil {
					return nil, err
				}
				continue
			}
			fallthrough
		default:
			it, err := itemFrom(k)
			if err != nil {
				return nil, err
			}
			b.Items = append(b.Items, it)
		}
	}
	return b, nil
}

// textFrom reduces a text element to its plain text, as Text.UnmarshalXML
// does.
func textFrom(n *scap.Node) Text {
	var t Text
	setText(&t, n)
	return t
}

func setText(t *Text, n *scap.Node) {
	for _, a := range n.Attr {
		if a.Name.Local == "lang" {
			t.Lang = a.Value
		}
	}
	if n.First == nil {
		t.Inner = collapse(n.Text)
		return
	}
	var b strings.Builder
	flatten(&b, n)
	t.Inner = collapse(b.String())
}

// collapse joins the words of s with single spaces.
func collapse(s string) string {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		switch {
		case c == ' ':
			plain = i > 0 && i < len(s)-1 && s[i-1] != ' '
		case c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c >= 0x80:
			plain = false // strings.Fields also splits at Unicode spaces
		}
	}
	if plain {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

func flatten(b *strings.Builder, n *scap.Node) {
	if b.Len() < maxText {
		b.WriteString(n.Text)
	}
	for k := n.First; k != nil; k = k.Next {
		blk := block[k.Name.Local]
		if blk {
			b.WriteByte(' ')
		}
		flatten(b, k)
		if blk {
			b.WriteByte(' ')
		}
		if b.Len() < maxText {
			b.WriteString(k.Tail)
		}
	}
}

func itemFrom(n *scap.Node) (*Item, error) {
	it := &Item{XMLName: n.Name}
	for _, a := range n.Attr {
		switch a.Name.Local {
		case "id":
			it.ID = a.Value
		case "cluster-id":
			it.ClusterID = a.Value
		case "selected":
			it.Selected = a.Value
		case "hidden":
			it.Hidden = a.Value
		case "abstract":
			it.Abstract = a.Value
		case "severity":
			it.Severity = a.Value
		case "weight":
			it.Weight = a.Value
		case "role":
			it.Role = a.Value
		case "type":
			it.Type = a.Value
		case "operator":
			it.Operator = a.Value
		}
	}
	for k := n.First; k != nil; k = k.Next {
		switch k.Name.Local {
		case "title":
			it.Title = append(it.Title, textFrom(k))
		case "description":
			it.Desc = append(it.Desc, textFrom(k))
		case "rationale":
			it.Rationale = append(it.Rationale, textFrom(k))
		case "platform":
			it.Platforms = append(it.Platforms, Idref{Idref: k.AttrValue("idref")})
		case "ident":
			it.Idents = append(it.Idents, Ident{System: k.AttrValue("system"), Value: k.CharData()})
		case "reference":
			it.References = append(it.References, Reference{Href: k.AttrValue("href"), Value: k.CharData()})
		case "check":
			c, err := checkFrom(k)
			if err != nil {
				return nil, err
			}
			it.Checks = append(it.Checks, c)
		case "complex-check":
			if it.Complex == nil {
				it.Complex = &Complex{}
			}
			if err := complexFrom(k, it.Complex); err != nil {
				return nil, err
			}
		case "fix":
			it.Fixes = append(it.Fixes, Fix{System: k.AttrValue("system")})
		case "requires":
			it.Requires = append(it.Requires, Idref{Idref: k.AttrValue("idref")})
		case "conflicts":
			it.Conflicts = append(it.Conflicts, Idref{Idref: k.AttrValue("idref")})
		case "value":
			it.Values = append(it.Values, SelText{Selector: k.AttrValue("selector"), Value: k.CharData()})
		case "default":
			it.Defaults = append(it.Defaults, SelText{Selector: k.AttrValue("selector"), Value: k.CharData()})
		default:
			kid, err := itemFrom(k)
			if err != nil {
				return nil, err
			}
			if kid.Kind() != "" {
				it.Children = append(it.Children, kid) // nothing reads the others
			}
		}
	}
	return it, nil
}

func checkFrom(n *scap.Node) (*Check, error) {
	c := &Check{System: n.AttrValue("system"), Selector: n.AttrValue("selector")}
	if err := boolAttr(n, "negate", &c.Negate); err != nil {
		return nil, err
	}
	if err := boolAttr(n, "multi-check", &c.MultiCheck); err != nil {
		return nil, err
	}
	for k := n.First; k != nil; k = k.Next {
		switch k.Name.Local {
		case "check-export":
			c.Exports = append(c.Exports, Export{ValueID: k.AttrValue("value-id"), Name: k.AttrValue("export-name")})
		case "check-content-ref":
			c.Refs = append(c.Refs, ContentRef{Href: k.AttrValue("href"), Name: k.AttrValue("name")})
		}
	}
	return c, nil
}

func complexFrom(n *scap.Node, c *Complex) error {
	if v := n.AttrValue("operator"); v != "" || hasAttr(n, "operator") {
		c.Operator = v
	}
	if err := boolAttr(n, "negate", &c.Negate); err != nil {
		return err
	}
	for k := n.First; k != nil; k = k.Next {
		switch k.Name.Local {
		case "check":
			ch, err := checkFrom(k)
			if err != nil {
				return err
			}
			c.Checks = append(c.Checks, ch)
		case "complex-check":
			sub := &Complex{}
			if err := complexFrom(k, sub); err != nil {
				return err
			}
			c.Complex = append(c.Complex, sub)
		}
	}
	return nil
}

func hasAttr(n *scap.Node, local string) bool {
	for _, a := range n.Attr {
		if a.Name.Local == local {
			return true
		}
	}
	return false
}

func profileFrom(n *scap.Node) (*Profile, error) {
	p := &Profile{ID: n.AttrValue("id"), Extends: n.AttrValue("extends"), Abstract: n.AttrValue("abstract")}
	for k := n.First; k != nil; k = k.Next {
		switch k.Name.Local {
		case "title":
			p.Title = append(p.Title, textFrom(k))
		case "description":
			p.Desc = append(p.Desc, textFrom(k))
		case "platform":
			p.Platforms = append(p.Platforms, Idref{Idref: k.AttrValue("idref")})
		case "select":
			s := Select{Idref: k.AttrValue("idref")}
			if err := boolAttr(k, "selected", &s.Selected); err != nil {
				return nil, err
			}
			p.Selects = append(p.Selects, s)
		case "set-value":
			p.SetValues = append(p.SetValues, SetValue{Idref: k.AttrValue("idref"), Value: k.CharData()})
		case "refine-value":
			p.RefineValues = append(p.RefineValues, RefineValue{Idref: k.AttrValue("idref"),
				Selector: k.AttrValue("selector"), Operator: k.AttrValue("operator")})
		case "refine-rule":
			p.RefineRules = append(p.RefineRules, RefineRule{Idref: k.AttrValue("idref"), Selector: k.AttrValue("selector"),
				Severity: k.AttrValue("severity"), Weight: k.AttrValue("weight"), Role: k.AttrValue("role")})
		case "set-complex-value":
			p.SetComplex = append(p.SetComplex, SetValue{Idref: k.AttrValue("idref"), Value: k.CharData()})
		}
	}
	return p, nil
}

func platSpecFrom(n *scap.Node, ps *PlatSpec) error {
	for k := n.First; k != nil; k = k.Next {
		if k.Name.Local != "platform" {
			continue
		}
		pl := Platform{ID: k.AttrValue("id")}
		for kk := k.First; kk != nil; kk = kk.Next {
			switch kk.Name.Local {
			case "title":
				pl.Title = append(pl.Title, textFrom(kk))
			case "logical-test":
				if err := logicalTestFrom(kk, &pl.Test); err != nil {
					return err
				}
			}
		}
		ps.Platforms = append(ps.Platforms, pl)
	}
	return nil
}

func logicalTestFrom(n *scap.Node, lt *LogicalTest) error {
	if hasAttr(n, "operator") {
		lt.Operator = n.AttrValue("operator")
	}
	if err := boolAttr(n, "negate", &lt.Negate); err != nil {
		return err
	}
	for k := n.First; k != nil; k = k.Next {
		switch k.Name.Local {
		case "logical-test":
			var sub LogicalTest
			if err := logicalTestFrom(k, &sub); err != nil {
				return err
			}
			lt.Tests = append(lt.Tests, sub)
		case "fact-ref":
			lt.FactRefs = append(lt.FactRefs, Idref2{Name: k.AttrValue("name")})
		case "check-fact-ref":
			lt.CheckFacts = append(lt.CheckFacts, CheckFactRef{System: k.AttrValue("system"), Href: k.AttrValue("href"), IDRef: k.AttrValue("id-ref")})
		}
	}
	return nil
}
