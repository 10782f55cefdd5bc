package firewall

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/kvconf"
	"github.com/cradle-cra/cradle/internal/target"
)

// firewalld (firewalld.conf(5), firewalld.zone(5), firewalld.service(5)):
// DefaultZone in /etc/firewalld/firewalld.conf (public when unset) names
// the zone for interfaces bound to no other; a zone file in
// /etc/firewalld/zones overrides the one of the same name in
// /usr/lib/firewalld/zones. A zone's target decides what no rule of the
// zone accepts: default (rejected, ICMP allowed), %%REJECT%%, DROP, or
// ACCEPT. firewalld always accepts lo and established traffic. The zone's
// services and ports are the allows; a service's ports come from its
// file in /etc/firewalld/services or /usr/lib/firewalld/services.

// Firewalld is firewalld's configuration.
type Firewalld struct {
	Present     bool              `json:"present"`
	DefaultZone string            `json:"default_zone"`
	Zones       map[string]*Zone  `json:"zones"`
	Conf        map[string]string `json:"conf,omitempty"`
	Files       []string          `json:"files"`
}

// Zone is one zone file.
type Zone struct {
	Name       string     `json:"name"`
	Target     string     `json:"target"`
	Interfaces []string   `json:"interfaces,omitempty"`
	Sources    []string   `json:"sources,omitempty"`
	Services   []string   `json:"services,omitempty"`
	Ports      []string   `json:"ports,omitempty"` // "22/tcp"
	Forward    bool       `json:"forward,omitempty"`
	Rich       []RichRule `json:"rich_rules,omitempty"`
	File       string     `json:"file"`
}

// RichRule is the part of a rich rule the checks read.
type RichRule struct {
	Family    string `json:"family,omitempty"`
	Source    string `json:"source,omitempty"`
	SourceNot bool   `json:"source_not,omitempty"`
	Action    string `json:"action,omitempty"` // accept, drop, reject
}

const maxXML = 1 << 20

// xmlElements bounds the elements of one file.
const xmlElements = 10000

// xmlDoc is an element tree small enough for zone and service files.
type xmlElem struct {
	Name  string
	Attr  map[string]string
	Kids  []*xmlElem
	Depth int
}

// parseXML reads b into a tree, refusing DTDs (so no entity is ever
// declared or expanded), deep nesting and huge documents.
func parseXML(b []byte) (*xmlElem, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	var root *xmlElem
	var stack []*xmlElem
	n := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, errors.New("DTD declarations are not accepted")
		case xml.StartElement:
			if n++; n > xmlElements {
				return nil, fmt.Errorf("more than %d elements", xmlElements)
			}
			if len(stack) >= 32 {
				return nil, errors.New("elements nested too deep")
			}
			e := &xmlElem{Name: t.Name.Local, Attr: map[string]string{}, Depth: len(stack)}
			for _, a := range t.Attr {
				e.Attr[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("more than one root element")
				}
				root = e
			} else {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, e)
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// ParseZone reads a zone file.
func ParseZone(b []byte, name, file string) (*Zone, error) {
	root, err := parseXML(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if root.Name != "zone" {
		return nil, fmt.Errorf("%s: root element is <%s>, not <zone>", file, root.Name)
	}
	z := &Zone{Name: name, Target: root.Attr["target"], File: file}
	if z.Target == "" {
		z.Target = "default"
	}
	for _, k := range root.Kids {
		switch k.Name {
		case "interface":
			z.Interfaces = append(z.Interfaces, k.Attr["name"])
		case "source":
			if a := k.Attr["address"]; a != "" {
				z.Sources = append(z.Sources, a)
			} else if i := k.Attr["ipset"]; i != "" {
				z.Sources = append(z.Sources, "ipset:"+i)
			}
		case "service":
			z.Services = append(z.Services, k.Attr["name"])
		case "port":
			z.Ports = append(z.Ports, k.Attr["port"]+"/"+k.Attr["protocol"])
		case "forward":
			z.Forward = true
		case "rule":
			z.Rich = append(z.Rich, richRule(k))
		}
	}
	return z, nil
}

func richRule(e *xmlElem) RichRule {
	r := RichRule{Family: e.Attr["family"]}
	for _, k := range e.Kids {
		switch k.Name {
		case "source":
			r.Source = k.Attr["address"]
			r.SourceNot = isTrue(k.Attr["invert"]) || isTrue(k.Attr["not"])
		case "accept", "drop", "reject":
			r.Action = k.Name
		}
	}
	return r
}

func isTrue(s string) bool { return strings.EqualFold(s, "true") || s == "yes" || s == "1" }

// ParseServicePorts reads the ports of a service file ("22/tcp").
func ParseServicePorts(b []byte, file string) ([]string, error) {
	root, err := parseXML(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var out []string
	for _, k := range root.Kids {
		if k.Name == "port" {
			out = append(out, k.Attr["port"]+"/"+k.Attr["protocol"])
		}
	}
	return out, nil
}

var firewalldDirs = []string{"etc/firewalld", "usr/lib/firewalld"}

// readXMLFile returns the first of etc/firewalld/KIND/NAME.xml and
// usr/lib/firewalld/KIND/NAME.xml.
func readXMLFile(t target.Target, kind, name string) ([]byte, string, error) {
	if strings.ContainsAny(name, "/\x00") || name == "" || name == "." || name == ".." {
		return nil, "", fmt.Errorf("bad %s name %q", kind, name)
	}
	for _, d := range firewalldDirs {
		p := d + "/" + kind + "/" + name + ".xml"
		b, err := target.ReadFileLimit(t, p, maxXML)
		if err == nil {
			return b, target.Abs(p), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", err
		}
	}
	return nil, "", fs.ErrNotExist
}

// wellKnownServices are firewalld's shipped service definitions the
// checks need when the service file is not in the tree.
var wellKnownServices = map[string][]string{
	"ssh": {"22/tcp"}, "http": {"80/tcp"}, "https": {"443/tcp"}, "dhcpv6-client": {"546/udp"},
	"mdns": {"5353/udp"}, "cockpit": {"9090/tcp"}, "dns": {"53/tcp", "53/udp"},
}

func readFirewalld(t target.Target, rs *Ruleset) (*Firewalld, []string, error) {
	fw := &Firewalld{Zones: map[string]*Zone{}, Conf: map[string]string{}}
	conf := "etc/firewalld/firewalld.conf"
	b, err := target.ReadFileLimit(t, conf, 1<<20)
	switch {
	case err == nil:
		fw.Present = true
		fw.Files = append(fw.Files, target.Abs(conf))
		for _, e := range kvconf.Parse(b, kvconf.Equals, target.Abs(conf)) {
			fw.Conf[e.Key] = e.Value
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, nil, err
	}
	if !fw.Present {
		return fw, nil, nil
	}
	fw.DefaultZone = fw.Conf["DefaultZone"]
	if fw.DefaultZone == "" {
		fw.DefaultZone = "public"
	}
	var problems []string
	names := map[string]bool{fw.DefaultZone: true}
	for _, d := range firewalldDirs {
		ps, _ := target.Glob(t, d+"/zones", "*.xml")
		for _, p := range ps {
			names[strings.TrimSuffix(p[strings.LastIndex(p, "/")+1:], ".xml")] = true
		}
	}
	for name := range names {
		zb, file, err := readXMLFile(t, "zones", name)
		if err != nil {
			problems = append(problems, fmt.Sprintf("zone %s: %v", name, err))
			continue
		}
		z, err := ParseZone(zb, name, file)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		fw.Zones[name] = z
		fw.Files = append(fw.Files, file)
	}
	z := fw.Zones[fw.DefaultZone]
	if z == nil {
		// firewalld refuses to start with a default zone it cannot load.
		return fw, problems, nil
	}
	in := &Chain{Manager: "firewalld", Family: "inet", Table: "firewalld", Name: "filter_INPUT", Hook: "input", Policy: Accept, File: z.File}
	fwd := &Chain{Manager: "firewalld", Family: "inet", Table: "firewalld", Name: "filter_FORWARD", Hook: "forward", Policy: Accept, File: z.File}
	est := Rule{Text: "ct state established,related accept (built in)", Matches: []Match{{Key: KeyCTState, Values: []string{"established", "related"}}}, Verdict: Accept}
	in.Rules = append(in.Rules, est, Rule{Text: `iifname "lo" accept (built in)`, Matches: []Match{{Key: KeyIIf, Values: []string{"lo"}}}, Verdict: Accept})
	fwd.Rules = append(fwd.Rules, est)
	for _, zn := range slices.Sorted(maps.Keys(fw.Zones)) {
		for _, r := range fw.Zones[zn].Rich {
			if r.Source == "" || r.SourceNot || r.Action == "" {
				continue
			}
			rule := Rule{Text: fmt.Sprintf("rule family=%q source address=%q %s (zone %s)", r.Family, r.Source, r.Action, zn), Matches: []Match{{Key: KeySaddr, Values: []string{r.Source}}}, Verdict: r.Action, File: fw.Zones[zn].File}
			rule.Family = map[string]string{"ipv4": IPv4, "ipv6": IPv6}[r.Family]
			in.Rules = append(in.Rules, rule)
		}
	}
	// Interfaces and sources bound to a zone whose target is ACCEPT
	// (trusted) take everything.
	for _, zn := range slices.Sorted(maps.Keys(fw.Zones)) {
		oz := fw.Zones[zn]
		if !strings.EqualFold(oz.Target, "ACCEPT") || zn == z.Name {
			continue
		}
		for _, i := range oz.Interfaces {
			in.Rules = append(in.Rules, Rule{Text: fmt.Sprintf("iifname %q accept (zone %s target ACCEPT)", i, zn), Matches: []Match{{Key: KeyIIf, Values: []string{i}}}, Verdict: Accept, File: oz.File})
		}
		for _, a := range oz.Sources {
			in.Rules = append(in.Rules, Rule{Text: fmt.Sprintf("saddr %s accept (zone %s target ACCEPT)", a, zn), Matches: []Match{{Key: KeySaddr, Values: []string{a}}}, Verdict: Accept, File: oz.File})
		}
	}
	var ports []string
	for _, s := range z.Services {
		sb, file, err := readXMLFile(t, "services", s)
		if err != nil {
			if p, ok := wellKnownServices[s]; ok {
				ports = append(ports, p...)
				continue
			}
			problems = append(problems, fmt.Sprintf("service %s: %v", s, err))
			continue
		}
		p, err := ParseServicePorts(sb, file)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		ports = append(ports, p...)
	}
	ports = append(ports, z.Ports...)
	for _, p := range ports {
		port, proto, _ := strings.Cut(p, "/")
		in.Rules = append(in.Rules, Rule{Text: fmt.Sprintf("%s dport %s accept (zone %s)", proto, port, z.Name), Matches: []Match{{Key: KeyProto, Values: []string{proto}}, {Key: KeyDport, Values: []string{port}}}, Verdict: Accept, File: z.File})
	}
	final := map[string]string{"ACCEPT": Accept, "DROP": Drop}[strings.ToUpper(z.Target)]
	if final == "" {
		final = Reject // default, %%REJECT%%, REJECT
	}
	tr := Rule{Text: fmt.Sprintf("zone %s target %s", z.Name, z.Target), Verdict: final, File: z.File}
	in.Rules = append(in.Rules, tr)
	fwd.Rules = append(fwd.Rules, tr)
	rs.Chains = append(rs.Chains, in, fwd)
	return fw, problems, nil
}
