package sbom

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/package-url/packageurl-go"
)

// The sbom_diff document (docs/schemas/sbom_diff.schema.json).
const (
	DiffKind          = "sbom_diff"
	DiffSchemaVersion = "1.0"
)

// DiffReport lists what changed between two SBOMs.
type DiffReport struct {
	SchemaVersion string       `json:"schema_version"`
	Kind          string       `json:"kind"`
	Old           string       `json:"old"`
	New           string       `json:"new"`
	Added         []DiffEntry  `json:"added"`
	Removed       []DiffEntry  `json:"removed"`
	Changed       []DiffChange `json:"changed"`
	Unchanged     int          `json:"unchanged"`
}

// DiffEntry is a component only one side has.
type DiffEntry struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	PURL    string `json:"purl,omitempty"`
}

// DiffChange is a component whose version changed.
type DiffChange struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	From string `json:"from"`
	To   string `json:"to"`
	// Direction is "upgraded" or "downgraded" by a generic comparison
	// of the versions' digit and non-digit runs (epochs first), which
	// agrees with dpkg, rpm and semver on ordinary versions.
	Direction string `json:"direction"`
}

// Diff compares two SBOMs by component identity: the purl without its
// version (type, namespace, name and the arch qualifier), else the name.
// Nested components (a package's files) are left out. A key that occurs
// more than once on a side is compared by its sorted set of versions.
func Diff(a, b *Doc, oldName, newName string) *DiffReport {
	r := &DiffReport{SchemaVersion: DiffSchemaVersion, Kind: DiffKind, Old: oldName, New: newName,
		Added: []DiffEntry{}, Removed: []DiffEntry{}, Changed: []DiffChange{}}
	am, bm := diffIndex(a), diffIndex(b)
	for k, olds := range am {
		news, ok := bm[k]
		if !ok {
			for _, c := range olds {
				r.Removed = append(r.Removed, DiffEntry{Key: k, Name: c.Name, Version: c.Version, PURL: c.PURL})
			}
			continue
		}
		ov, nv := versions(olds), versions(news)
		if ov == nv {
			r.Unchanged++
			continue
		}
		dir := "upgraded"
		if CompareVersions(nv, ov) < 0 {
			dir = "downgraded"
		}
		r.Changed = append(r.Changed, DiffChange{Key: k, Name: news[0].Name, From: ov, To: nv, Direction: dir})
	}
	for k, news := range bm {
		if _, ok := am[k]; !ok {
			for _, c := range news {
				r.Added = append(r.Added, DiffEntry{Key: k, Name: c.Name, Version: c.Version, PURL: c.PURL})
			}
		}
	}
	byKey := func(l []DiffEntry) {
		sort.Slice(l, func(i, j int) bool {
			if l[i].Key != l[j].Key {
				return l[i].Key < l[j].Key
			}
			return l[i].Version < l[j].Version
		})
	}
	byKey(r.Added)
	byKey(r.Removed)
	sort.Slice(r.Changed, func(i, j int) bool { return r.Changed[i].Key < r.Changed[j].Key })
	return r
}

func diffIndex(d *Doc) map[string][]DocComponent {
	m := map[string][]DocComponent{}
	for _, c := range d.Components {
		if c.Nested {
			continue
		}
		k := componentKey(c)
		m[k] = append(m[k], c)
	}
	return m
}

func versions(cs []DocComponent) string {
	v := make([]string, len(cs))
	for i, c := range cs {
		v[i] = c.Version
	}
	sort.Strings(v)
	return strings.Join(v, ", ")
}

// componentKey identifies a component across versions.
func componentKey(c DocComponent) string {
	if p, err := packageurl.FromString(c.PURL); err == nil && p.Name != "" {
		k := "pkg:" + p.Type + "/"
		if p.Namespace != "" {
			k += p.Namespace + "/"
		}
		k += p.Name
		if arch := p.Qualifiers.Map()["arch"]; arch != "" {
			k += "?arch=" + arch
		}
		return k
	}
	return "name:" + c.Name
}

// CompareVersions orders two versions by runs: an epoch ("1:") first,
// then alternating non-digit runs (compared as text, "~" before
// anything, as dpkg does) and digit runs (compared as numbers).
func CompareVersions(a, b string) int {
	ea, ra := splitEpoch(a)
	eb, rb := splitEpoch(b)
	if c := compareNum(ea, eb); c != 0 {
		return c
	}
	for ra != "" || rb != "" {
		var sa, sb string
		sa, ra = span(ra, false)
		sb, rb = span(rb, false)
		if c := compareText(sa, sb); c != 0 {
			return c
		}
		sa, ra = span(ra, true)
		sb, rb = span(rb, true)
		if c := compareNum(sa, sb); c != 0 {
			return c
		}
	}
	return 0
}

func splitEpoch(v string) (string, string) {
	if i := strings.IndexByte(v, ':'); i > 0 && strings.IndexFunc(v[:i], func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
		return v[:i], v[i+1:]
	}
	return "0", v
}

func span(s string, digits bool) (string, string) {
	i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsDigit(r) != digits })
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

func compareNum(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

// compareText compares non-digit runs the dpkg way: "~" sorts before
// everything, even the end of the run; letters before other characters.
func compareText(a, b string) int {
	order := func(s string, i int) int {
		if i >= len(s) {
			return 0
		}
		switch c := s[i]; {
		case c == '~':
			return -1
		case unicode.IsLetter(rune(c)):
			return int(c)
		default:
			return int(c) + 256
		}
	}
	for i := 0; i < len(a) || i < len(b); i++ {
		if oa, ob := order(a, i), order(b, i); oa != ob {
			return sign(oa - ob)
		}
	}
	return 0
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// JSON writes the report as indented JSON.
func (r *DiffReport) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Table writes the report for people.
func (r *DiffReport) Table(w io.Writer) error {
	fmt.Fprintf(w, "%s → %s: %d added, %d removed, %d changed, %d unchanged\n",
		r.Old, r.New, len(r.Added), len(r.Removed), len(r.Changed), r.Unchanged)
	if len(r.Added)+len(r.Removed)+len(r.Changed) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nCHANGE\tCOMPONENT\tFROM\tTO")
	for _, c := range r.Added {
		fmt.Fprintf(tw, "added\t%s\t-\t%s\n", c.Name, dash(c.Version))
	}
	for _, c := range r.Removed {
		fmt.Fprintf(tw, "removed\t%s\t%s\t-\n", c.Name, dash(c.Version))
	}
	for _, c := range r.Changed {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Direction, c.Name, c.From, c.To)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
