package xccdf

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cradle-cra/cradle/internal/scap"
	"github.com/cradle-cra/cradle/internal/scap/ds"
)

// Doc is checking content (an OVAL document, a CPE dictionary): its bytes
// and a key naming it uniquely within a Source, so a checking engine
// parses each document once.
type Doc struct {
	Key  string
	Root xml.Name
	Data []byte
	NS   []xml.Attr // namespace declarations in scope around Data (see ds.Component)
}

// Source is SCAP content opened for evaluation: one benchmark with the
// documents its checks and platforms refer to.
type Source struct {
	Path      string
	Stream    string // data-stream id ("" for a plain XCCDF file)
	Benchmark *Benchmark
	Dict      *Dictionary // nil when the content has none
	// benchmark-relative href → document, and the CPE dictionary's
	resolve     func(href string) (Doc, error)
	resolveDict func(href string) (Doc, error)
	collection  []byte // the data-stream collection's bytes, nil for a plain file
}

// CollectionData returns the bytes of the source data-stream collection
// the benchmark came from (nil for a plain XCCDF file): ARF results carry
// it as the request they answer.
func (s *Source) CollectionData() []byte { return s.collection }

// Content is a file opened for `scap info`: a data-stream collection's
// streams and their benchmarks, or one plain benchmark.
type Content struct {
	Path       string
	Collection *ds.Collection // nil for a plain XCCDF file
	data       []byte
}

// Open reads a SCAP file: a source data-stream collection or a plain
// XCCDF 1.2 benchmark.
func Open(path string) (*Content, error) {
	data, err := scap.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseContent(path, data)
}

func parseContent(path string, data []byte) (*Content, error) {
	root, err := ds.RootOf(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := &Content{Path: path, data: data}
	switch {
	case ds.IsCollection(root):
		c.Collection, err = ds.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	case root.Space == NS && root.Local == "Benchmark":
	case root.Local == "Benchmark":
		return nil, fmt.Errorf("%s: benchmark namespace %q: only XCCDF 1.2 (%s) is supported", path, root.Space, NS)
	default:
		return nil, fmt.Errorf("%s: root element %s is neither a SCAP source data-stream-collection nor an XCCDF 1.2 Benchmark", path, root.Local)
	}
	return c, nil
}

// Checklist is one benchmark of the content.
type Checklist struct {
	Stream string // data-stream id, "" for a plain file
	Ref    ds.ComponentRef
	stream *ds.Stream
}

// Checklists lists the benchmarks of the content, in document order.
func (c *Content) Checklists() []Checklist {
	if c.Collection == nil {
		return []Checklist{{}}
	}
	var out []Checklist
	for i := range c.Collection.Streams {
		s := &c.Collection.Streams[i]
		for _, r := range s.Checklists {
			out = append(out, Checklist{Stream: s.ID, Ref: r, stream: s})
		}
	}
	return out
}

// Load parses the benchmark of one checklist (the zero Checklist for a
// plain file) and wires the resolution of its check and CPE references.
func (c *Content) Load(cl Checklist) (*Source, error) {
	src := &Source{Path: c.Path, Stream: cl.Stream}
	benchData, benchNS := c.data, []xml.Attr(nil)
	if c.Collection != nil {
		comp, err := c.Collection.Resolve(cl.Ref)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Path, err)
		}
		if comp.Root.Space != NS || comp.Root.Local != "Benchmark" {
			return nil, fmt.Errorf("%s: checklist %s is a %s, not an XCCDF 1.2 Benchmark", c.Path, cl.Ref.ID, comp.Root.Local)
		}
		benchData, benchNS = comp.Data, comp.NS
		src.collection = c.data
		src.resolve = func(href string) (Doc, error) {
			return docOf(c.Collection.ResolveCatalog(cl.Ref, href))
		}
		for _, d := range cl.stream.Dictionaries {
			comp, err := c.Collection.Resolve(d)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.Path, err)
			}
			if src.Dict, err = parseDictionary(comp.Standalone()); err != nil {
				return nil, fmt.Errorf("%s: CPE dictionary %s: %w", c.Path, d.ID, err)
			}
			ref := d
			src.resolveDict = func(href string) (Doc, error) {
				return docOf(c.Collection.ResolveCatalog(ref, href))
			}
			break // SCAP content carries one dictionary
		}
	} else {
		dir := filepath.Dir(c.Path)
		src.resolve = func(href string) (Doc, error) { return siblingDoc(dir, href) }
		src.resolveDict = src.resolve
		if dict := siblingDict(c.Path); dict != "" {
			data, err := scap.ReadFile(dict)
			if err != nil {
				return nil, err
			}
			if src.Dict, err = parseDictionary(data); err != nil {
				return nil, fmt.Errorf("%s: %w", dict, err)
			}
		}
	}
	b, err := parseBenchmark(benchData, benchNS)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	src.Benchmark = b
	return src, nil
}

func docOf(comp ds.Component, err error) (Doc, error) {
	if err != nil {
		return Doc{}, err
	}
	return Doc{Key: comp.ID, Root: comp.Root, Data: comp.Data, NS: comp.NS}, nil
}

// siblingDoc reads the file a plain benchmark's href names, which must be
// a relative path staying in the benchmark's directory.
func siblingDoc(dir, href string) (Doc, error) {
	if href == "" || filepath.IsAbs(href) || strings.Contains(href, "://") || !filepath.IsLocal(filepath.FromSlash(href)) {
		return Doc{}, fmt.Errorf("check content %q: only files next to the benchmark are read", href)
	}
	p := filepath.Join(dir, filepath.FromSlash(href))
	data, err := scap.ReadFile(p)
	if err != nil {
		return Doc{}, err
	}
	root, err := ds.RootOf(data)
	if err != nil {
		return Doc{}, fmt.Errorf("%s: %w", p, err)
	}
	return Doc{Key: p, Root: root, Data: data}, nil
}

// siblingDict finds the CPE dictionary SCAP Security Guide ships next to
// a plain benchmark (ssg-X-xccdf.xml → ssg-X-cpe-dictionary.xml).
func siblingDict(path string) string {
	base := filepath.Base(path)
	i := strings.LastIndex(base, "-xccdf")
	if i < 0 {
		return ""
	}
	p := filepath.Join(filepath.Dir(path), base[:i]+"-cpe-dictionary.xml")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// parseBenchmark decodes an XCCDF 1.2 Benchmark (scope: the namespace
// declarations around it in a data stream). The content of fix elements
// is passed over: SSG's remediation scripts are a third of a benchmark's
// bytes and cradle only notes that a rule has a fix.
func parseBenchmark(data []byte, scope []xml.Attr) (*Benchmark, error) {
	root, err := scap.ParseTree(data, scap.TreeOptions{Scope: scope, Skip: isFix})
	if err != nil {
		return nil, err
	}
	if root.Name.Space != NS || root.Name.Local != "Benchmark" {
		return nil, fmt.Errorf("not an XCCDF 1.2 Benchmark (%s %s)", root.Name.Space, root.Name.Local)
	}
	b, err := benchmarkFrom(root)
	if err != nil {
		return nil, err
	}
	if err := b.index(); err != nil {
		return nil, err
	}
	return b, nil
}

func isFix(n xml.Name) bool { return n.Local == "fix" && n.Space == NS }

// Rules returns the benchmark's rules in document order.
func (b *Benchmark) Rules() []*Item { return b.order }

// Rule returns the rule with id.
func (b *Benchmark) Rule(id string) *Item { return b.rules[id] }

// index records ids, parents and document order, refusing duplicate ids.
func (b *Benchmark) index() error {
	b.rules, b.groups, b.values = map[string]*Item{}, map[string]*Item{}, map[string]*Item{}
	b.parent, b.clusters = map[*Item]*Item{}, map[string][]*Item{}
	var walk func(parent *Item, items []*Item, depth int) error
	walk = func(parent *Item, items []*Item, depth int) error {
		if depth > 64 {
			return fmt.Errorf("groups nested deeper than 64")
		}
		for _, it := range items {
			var m map[string]*Item
			switch it.Kind() {
			case "Rule":
				m = b.rules
			case "Group":
				m = b.groups
			case "Value":
				m = b.values
			default:
				continue
			}
			if it.ID == "" {
				return fmt.Errorf("a %s has no id", it.Kind())
			}
			if _, dup := m[it.ID]; dup {
				return fmt.Errorf("%s id %q is used twice", it.Kind(), it.ID)
			}
			m[it.ID] = it
			if parent != nil {
				b.parent[it] = parent
			}
			if it.ClusterID != "" {
				b.clusters[it.ClusterID] = append(b.clusters[it.ClusterID], it)
			}
			switch it.Kind() {
			case "Rule":
				b.order = append(b.order, it)
			case "Group":
				if err := walk(it, it.Children, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(nil, b.Items, 0)
}
