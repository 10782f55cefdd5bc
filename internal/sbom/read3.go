package sbom

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// spdx3Element is the part of an SPDX 3 JSON-LD graph element the check
// reads; the compacted names of the 3.0.1 context.
type spdx3Element struct {
	Type         string          `json:"type"`
	ID           string          `json:"spdxId"`
	AtID         string          `json:"@id"`
	Name         string          `json:"name"`
	Comment      string          `json:"comment"`
	CreationInfo json.RawMessage `json:"creationInfo"`
	// Packages and files.
	Version      string   `json:"software_packageVersion"`
	PackageURL   string   `json:"software_packageUrl"`
	SuppliedBy   string   `json:"suppliedBy"`
	OriginatedBy []string `json:"originatedBy"`
	Verified     []struct {
		Type      string `json:"type"`
		Algorithm string `json:"algorithm"`
		Value     string `json:"hashValue"`
	} `json:"verifiedUsing"`
	ExternalIDs []struct {
		Type       string `json:"externalIdentifierType"`
		Identifier string `json:"identifier"`
	} `json:"externalIdentifier"`
	// Relationships.
	From             string   `json:"from"`
	To               []string `json:"to"`
	RelationshipType string   `json:"relationshipType"`
	// Creation information.
	Created     string   `json:"created"`
	CreatedBy   []string `json:"createdBy"`
	SpecVersion string   `json:"specVersion"`
	// Collections.
	RootElements []string `json:"rootElement"`
}

func (e *spdx3Element) id() string {
	if e.ID != "" {
		return e.ID
	}
	return e.AtID
}

// contact is an agent's e-mail address or URL.
func (e *spdx3Element) contact() string {
	for _, x := range e.ExternalIDs {
		if (x.Type == "email" || x.Type == "urlScheme") && x.Identifier != "" {
			return x.Identifier
		}
	}
	if isContact(e.Name) {
		return e.Name
	}
	return ""
}

// readSPDX3 reads SPDX 3 JSON-LD in its compacted form (the @graph of
// elements the 3.0.1 context names); expanded JSON-LD is not read.
func readSPDX3(b []byte) (*Doc, error) {
	var in struct {
		Graph []spdx3Element `json:"@graph"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("SPDX 3 JSON-LD: %w", err)
	}
	if len(in.Graph) > maxDocComponents {
		return nil, fmt.Errorf("more than %d elements", maxDocComponents)
	}
	byID := map[string]*spdx3Element{}
	for i := range in.Graph {
		if id := in.Graph[i].id(); id != "" {
			byID[id] = &in.Graph[i]
		}
	}
	d := &Doc{Format: "SPDX"}
	// The document's creation information: the SpdxDocument's, inline
	// or a reference to a CreationInfo node.
	for i := range in.Graph {
		e := &in.Graph[i]
		if e.Type != "SpdxDocument" {
			continue
		}
		ci := creationInfo(e.CreationInfo, byID)
		if ci == nil {
			break
		}
		d.SpecVersion, d.Timestamp = ci.SpecVersion, ci.Created
		for _, a := range ci.CreatedBy {
			if ag := byID[a]; ag != nil {
				if c := ag.contact(); c != "" {
					d.Creators = append(d.Creators, c)
				}
			} else if isContact(a) {
				d.Creators = append(d.Creators, a)
			}
		}
		break
	}
	// The primary component: the root element of the software_Sbom.
	primary := ""
	for i := range in.Graph {
		if e := &in.Graph[i]; e.Type == "software_Sbom" && len(e.RootElements) > 0 {
			primary = e.RootElements[0]
			break
		}
	}
	deps, licensed, contained := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i := range in.Graph {
		e := &in.Graph[i]
		if e.Type != "Relationship" && e.Type != "LifecycleScopedRelationship" {
			continue
		}
		switch e.RelationshipType {
		case "dependsOn":
			deps[e.From] = true
		case "hasDeclaredLicense", "hasConcludedLicense":
			licensed[e.From] = true
		case "contains":
			for _, t := range e.To {
				contained[t] = true
			}
		}
	}
	for i := range in.Graph {
		e := &in.Graph[i]
		if e.Type != "software_Package" && e.Type != "software_File" {
			continue
		}
		if e.id() == primary {
			d.Primary = e.Name
			continue
		}
		c := DocComponent{Ref: e.id(), Name: e.Name, Version: e.Version, Deps: deps[e.id()]}
		if e.Type == "software_File" {
			c.Filename = path.Base(e.Name)
			c.Nested = contained[e.id()]
			c.Deps = c.Deps || c.Nested
		}
		if e.PackageURL != "" {
			c.PURL = e.PackageURL
			c.Identifiers = append(c.Identifiers, e.PackageURL)
		}
		for _, x := range e.ExternalIDs {
			switch x.Type {
			case "packageUrl":
				if c.PURL == "" {
					c.PURL = x.Identifier
				}
				c.Identifiers = append(c.Identifiers, x.Identifier)
			case "cpe22", "cpe23", "swid":
				c.Identifiers = append(c.Identifiers, x.Identifier)
			}
		}
		for _, a := range append([]string{e.SuppliedBy}, e.OriginatedBy...) {
			if ag := byID[a]; ag != nil && c.Creator == "" {
				c.Creator = ag.contact()
			}
		}
		if licensed[e.id()] {
			c.Licenses = []string{"stated"}
		}
		for _, v := range e.Verified {
			if v.Type == "Hash" && strings.EqualFold(v.Algorithm, "sha512") {
				c.SHA512 = v.Value
			}
		}
		c.commentFacts(e.Comment)
		d.Components = append(d.Components, c)
	}
	return d, nil
}

// creationInfo resolves an element's creationInfo: a CreationInfo
// object, or the id of one in the graph.
func creationInfo(raw json.RawMessage, byID map[string]*spdx3Element) *spdx3Element {
	var ref string
	if json.Unmarshal(raw, &ref) == nil {
		return byID[ref]
	}
	var ci spdx3Element
	if json.Unmarshal(raw, &ci) == nil && ci.Created != "" {
		return &ci
	}
	return nil
}
