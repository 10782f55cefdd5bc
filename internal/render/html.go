package render

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/cra"
	"github.com/cradle-cra/cradle/internal/result"
)

// The HTML report is one self-contained file: inline CSS, inline SVG charts
// and a few lines of optional JavaScript for filtering. It loads nothing
// from the network, and without JavaScript every result is shown.
// html/template escapes every report value for its context.

//go:embed html.tmpl
var htmlSource string

// htmlCSP forbids every load and every script but the page's own (by
// hash): even a value that escaped escaping could not run or fetch
// anything.
var htmlCSP = func() string {
	_, after, _ := strings.Cut(htmlSource, "<script>")
	script, _, _ := strings.Cut(after, "</script>")
	sum := sha256.Sum256([]byte(script))
	return "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" +
		base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"evidenceLocation": evidenceLocation,
	"statusLabel":      statusLabel,
}).Parse(htmlSource))

type htmlView struct {
	CSP       string
	R         *result.Report
	Started   string
	Duration  string
	Total     int
	Failing   int
	Counts    []htmlCount
	Donut     []htmlArc
	Severity  []htmlBar
	SevHeight int
	CRA       []htmlBar
	CRAHeight int
	Results   []htmlResult
}

type htmlCount struct {
	Status result.Status
	Label  string
	Count  int
	Pct    string
}

type htmlArc struct {
	Status    result.Status
	Dash      string
	Offset    string
	Label     string
	Count     int
	Remaining bool // the empty ring shown when there are no results
}

type htmlBar struct {
	Key   string // severity name or CRA id
	Label string
	Count int
	Of    int // CRA: rules mapped to the point
	Y     int
	W     string // bar width in SVG units
	OfW   string
}

type htmlResult struct {
	result.Result
	Anchor    string
	Open      bool
	Refs      []htmlRefs
	CRA       []string
	SevRank   int
	WaivedFor string
}

type htmlRefs struct {
	Label string
	IDs   []string
}

// Chart geometry in SVG user units.
const (
	donutRadius = 60.0
	barWidth    = 220.0
	craBarWidth = 420.0
	barPitch    = 26
)

// HTML writes a self-contained HTML report.
func HTML(w io.Writer, r *result.Report, _ Options) error {
	if err := htmlTemplate.Execute(w, newHTMLView(r)); err != nil {
		return fmt.Errorf("html: %w", err)
	}
	return nil
}

func newHTMLView(r *result.Report) htmlView {
	r = mapStrings(baseStatuses(r), visible)
	v := htmlView{CSP: htmlCSP, R: r, Total: len(r.Results), Duration: formatDuration(r.DurationMS)}
	if !r.StartedAt.IsZero() {
		v.Started = r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	counts := fullSummary(r)
	v.Failing = counts[result.Fail]

	circ := 2 * math.Pi * donutRadius
	done := 0.0
	for _, st := range attentionOrder {
		n := counts[st]
		pct := 0.0
		if v.Total > 0 {
			pct = 100 * float64(n) / float64(v.Total)
		}
		v.Counts = append(v.Counts, htmlCount{Status: st, Label: statusLabel(st), Count: n, Pct: fmt.Sprintf("%.0f%%", pct)})
		if n == 0 || v.Total == 0 {
			continue
		}
		l := circ * float64(n) / float64(v.Total)
		v.Donut = append(v.Donut, htmlArc{
			Status: st, Label: statusLabel(st), Count: n,
			Dash:   fmt.Sprintf("%.2f %.2f", l, circ-l),
			Offset: fmt.Sprintf("%.2f", -done),
		})
		done += l
	}
	if len(v.Donut) == 0 {
		v.Donut = []htmlArc{{Dash: fmt.Sprintf("%.2f 0", circ), Offset: "0", Remaining: true}}
	}

	// Failures by severity: every severity gets a row, zero or not.
	sevFails := map[result.Severity]int{}
	craFails, craTotal := map[string]int{}, map[string]int{}
	for _, res := range r.Results {
		fail := res.Status == result.Fail
		if fail {
			sevFails[res.Severity]++
		}
		for _, id := range uniq(res.References[refCRA]) {
			craTotal[id]++
			if fail {
				craFails[id]++
			}
		}
	}
	maxSev := 1
	for _, n := range sevFails {
		maxSev = max(maxSev, n)
	}
	for i, s := range severitiesDesc {
		n := sevFails[s]
		v.Severity = append(v.Severity, htmlBar{
			Key: s.String(), Label: s.String(), Count: n, Y: i * barPitch,
			W: fmt.Sprintf("%.1f", barWidth*float64(n)/float64(maxSev)),
		})
	}
	v.SevHeight = len(v.Severity) * barPitch
	ids := make([]string, 0, len(craTotal))
	maxCRA := 1
	for id, n := range craTotal {
		ids = append(ids, id)
		maxCRA = max(maxCRA, n)
	}
	slices.SortFunc(ids, cra.Compare)
	for i, id := range ids {
		v.CRA = append(v.CRA, htmlBar{
			Key: id, Label: cra.Title(id), Count: craFails[id], Of: craTotal[id], Y: i * barPitch,
			W:   fmt.Sprintf("%.1f", craBarWidth*float64(craFails[id])/float64(maxCRA)),
			OfW: fmt.Sprintf("%.1f", craBarWidth*float64(craTotal[id])/float64(maxCRA)),
		})
	}
	v.CRAHeight = max(1, len(v.CRA)) * barPitch

	for i, res := range byAttention(r.Results) {
		hr := htmlResult{
			Result:  res,
			Anchor:  fmt.Sprintf("r%d-%s", i+1, anchorSafe(res.RuleID)),
			Open:    res.Status == result.Fail || res.Status == result.Error,
			CRA:     res.References[refCRA],
			SevRank: int(res.Severity),
		}
		if res.Status == result.Waived {
			hr.WaivedFor = orDefault(string(res.WaivedStatus), "not evaluated")
		}
		for _, k := range refKeys(res.References) {
			if len(res.References[k]) > 0 {
				hr.Refs = append(hr.Refs, htmlRefs{Label: refLabel(k), IDs: res.References[k]})
			}
		}
		v.Results = append(v.Results, hr)
	}
	return v
}

func statusLabel(s result.Status) string {
	switch s {
	case result.Pass:
		return "Pass"
	case result.Fail:
		return "Fail"
	case result.NotApplicable:
		return "Not applicable"
	case result.Error:
		return "Error"
	case result.Waived:
		return "Waived"
	}
	return string(s)
}

func evidenceLocation(ev result.Evidence) string {
	if ev.File == "" {
		return ""
	}
	if ev.Line > 0 {
		return fmt.Sprintf("%s:%d", ev.File, ev.Line)
	}
	return ev.File
}

// anchorSafe keeps the characters that need no escaping in a fragment.
func anchorSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
}

func formatDuration(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	if d < time.Second {
		return fmt.Sprintf("%d ms", ms)
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func uniq(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
