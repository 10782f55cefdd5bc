package xccdf

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Info document kind and schema version (docs/schemas/scap_info.schema.json).
const (
	InfoKind          = "scap_info"
	InfoSchemaVersion = "1.0"
)

// Info describes SCAP content: `cradle scap info`.
type Info struct {
	SchemaVersion string          `json:"schema_version"`
	Kind          string          `json:"kind"`
	Content       string          `json:"content"`
	Collection    string          `json:"collection,omitempty"`
	Benchmarks    []BenchmarkInfo `json:"benchmarks"`
}

// BenchmarkInfo is one benchmark of the content.
type BenchmarkInfo struct {
	DataStream  string        `json:"data_stream,omitempty"`
	SCAPVersion string        `json:"scap_version,omitempty"`
	ID          string        `json:"id"`
	Title       string        `json:"title,omitempty"`
	Version     string        `json:"version,omitempty"`
	Rules       int           `json:"rules"`
	Groups      int           `json:"groups"`
	Values      int           `json:"values"`
	Platforms   []string      `json:"platforms"`
	Dictionary  int           `json:"cpe_names"`
	Profiles    []ProfileInfo `json:"profiles"`
}

// ProfileInfo is a profile with how many rules it selects.
type ProfileInfo struct {
	ID       string `json:"id"`
	Title    string `json:"title,omitempty"`
	Extends  string `json:"extends,omitempty"`
	Selected int    `json:"selected_rules"`
}

// Describe reads every benchmark of c.
func Describe(c *Content) (*Info, error) {
	info := &Info{SchemaVersion: InfoSchemaVersion, Kind: InfoKind, Content: c.Path, Benchmarks: []BenchmarkInfo{}}
	if c.Collection != nil {
		info.Collection = c.Collection.ID
	}
	for _, cl := range c.Checklists() {
		src, err := c.Load(cl)
		if err != nil {
			return nil, err
		}
		b := src.Benchmark
		bi := BenchmarkInfo{DataStream: cl.Stream, ID: b.ID, Title: text(b.Title), Version: b.Version.Inner,
			Rules: len(b.rules), Groups: len(b.groups), Values: len(b.values), Platforms: []string{}, Profiles: []ProfileInfo{}}
		if cl.stream != nil {
			bi.SCAPVersion = cl.stream.SCAPVersion
		}
		for _, p := range b.Platforms {
			bi.Platforms = append(bi.Platforms, p.Idref)
		}
		if src.Dict != nil {
			bi.Dictionary = len(src.Dict.Items)
		}
		for _, p := range b.Profiles {
			pi := ProfileInfo{ID: p.ID, Title: text(p.Title), Extends: p.Extends}
			sel, err := Resolve(b, nil, p.ID)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.Path, err)
			}
			for _, r := range b.Rules() {
				if sel.Selected(b, r) {
					pi.Selected++
				}
			}
			bi.Profiles = append(bi.Profiles, pi)
		}
		info.Benchmarks = append(info.Benchmarks, bi)
	}
	return info, nil
}

// Table writes the info for people.
func (info *Info) Table(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\n", info.Content)
	for _, b := range info.Benchmarks {
		fmt.Fprintf(tw, "\nbenchmark %s", b.ID)
		if b.Version != "" {
			fmt.Fprintf(tw, " (version %s)", b.Version)
		}
		fmt.Fprintf(tw, "\n  %s\n", b.Title)
		if b.DataStream != "" {
			fmt.Fprintf(tw, "  data stream %s (SCAP %s)\n", b.DataStream, b.SCAPVersion)
		}
		fmt.Fprintf(tw, "  %d rules in %d groups, %d values; platforms: %s; %d CPE names\n",
			b.Rules, b.Groups, b.Values, orNone(strings.Join(b.Platforms, ", ")), b.Dictionary)
		fmt.Fprintf(tw, "\n  PROFILE\tRULES\tTITLE\n")
		for _, p := range b.Profiles {
			fmt.Fprintf(tw, "  %s\t%d\t%s\n", p.ID, p.Selected, p.Title)
		}
	}
	return tw.Flush()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
