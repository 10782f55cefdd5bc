package evreport

import (
	"fmt"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/cra"
)

// view is the Model prepared for layout: titles filled in, instants
// formatted, totals counted and chart geometry computed. HTML and PDF
// both render from it so they show the same content.
type view struct {
	CSP       string
	M         Model
	Title     string
	Generated string
	Cards     []card
	Parts     []part
	Matrix    matrixChart
	Runs      []runView
	RunChart  barChart
	Severity  barChart
	VEX       barChart
	Cases     []caseView
	Gaps      int
	Ecosys    barChart
}

type card struct {
	Key   string // CSS class suffix
	Label string
	Value string
}

type part struct {
	Title string
	Rows  []rowView
}

type rowView struct {
	Requirement
	Official string
	State    string // status key, "not_applicable" when not applicable
}

// matrixChart is a strip of one cell per Annex I point, coloured by state.
type matrixChart struct {
	Width, Height int
	Cells         []matrixCell
	Legend        []legendItem
	PartLabels    []textAt
}

type matrixCell struct {
	X, Y  int
	State string
	Short string // "2b", "II.3"
	Tip   string
}

type legendItem struct {
	X     int
	State string
	Label string
	Count int
}

type textAt struct {
	X, Y int
	Text string
}

// barChart is a horizontal bar chart; Stacked rows carry segments.
type barChart struct {
	Width, Height int
	LabelW        int
	TrackW        int
	Rows          []barRow
	Empty         bool
}

type barRow struct {
	Y        int
	Label    string // shortened to fit
	Full     string
	Count    int
	Segments []segment
	TextX    int
}

type segment struct {
	Key  string
	X, W float64
	N    int
	Tip  string
}

type runView struct {
	ComplianceRun
	Total int
}

type caseView struct {
	Case
	AwareText string
	Clocks    []clockView
}

type clockView struct {
	Clock
	StageLabel string
	DueText    string
	SubText    string
}

// matrix chart geometry (SVG user units)
const (
	cellW   = 40
	cellH   = 34
	cellGap = 4
	partGap = 18
	barH    = 20
	barGap  = 8
)

var stateOrder = []Status{Met, Partial, NotMet, Unknown, "not_applicable"}

func newView(m Model, csp string) view {
	v := view{CSP: csp, M: m}
	v.Title = "CRA evidence report"
	if m.Product.Name != "" {
		v.Title += " — " + m.Product.Name
		if m.Release != "" {
			v.Title += " " + m.Release
		}
	}
	v.Generated = formatTime(m.Generated)

	counts := map[string]int{}
	for p := 1; p <= 2; p++ {
		pt := part{Title: cra.PartTitle(p)}
		for _, r := range m.Matrix {
			if partOf(r.ID) != p {
				continue
			}
			rv := rowView{Requirement: r, State: rowState(r)}
			if ap, ok := cra.Lookup(r.ID); ok {
				rv.Official = ap.Official
				if rv.Title == "" {
					rv.Title = ap.Title
				}
			}
			counts[rv.State]++
			v.Gaps += len(r.Gaps)
			pt.Rows = append(pt.Rows, rv)
		}
		if len(pt.Rows) > 0 {
			v.Parts = append(v.Parts, pt)
		}
	}
	// Rows with ids outside Annex I still show, in a part of their own.
	var other part
	for _, r := range m.Matrix {
		if partOf(r.ID) == 0 {
			rv := rowView{Requirement: r, State: rowState(r)}
			counts[rv.State]++
			v.Gaps += len(r.Gaps)
			other.Rows = append(other.Rows, rv)
		}
	}
	if len(other.Rows) > 0 {
		other.Title = "Other requirements"
		v.Parts = append(v.Parts, other)
	}
	v.Matrix = newMatrixChart(v.Parts, counts)

	v.Cards = []card{
		{"met", "Annex I points met", fmt.Sprintf("%d / %d", counts[string(Met)], len(m.Matrix)-counts["not_applicable"])},
		{"not_met", "Not met or partial", fmt.Sprint(counts[string(NotMet)] + counts[string(Partial)])},
		{"unknown", "Unknown", fmt.Sprint(counts[string(Unknown)])},
		{"exploited", "Exploited / incidents", fmt.Sprint(len(m.Vulnerabilities.Cases))},
		{"open", "Open critical + high", fmt.Sprint(countOf(m.Vulnerabilities.BySeverity, "critical") + countOf(m.Vulnerabilities.BySeverity, "high"))},
	}

	for _, r := range m.Compliance {
		v.Runs = append(v.Runs, runView{ComplianceRun: r, Total: r.Pass + r.Fail + r.Unknown + r.Waived + r.NotApplicable})
	}
	v.RunChart = newRunChart(v.Runs)
	v.Severity = newBarChart(m.Vulnerabilities.BySeverity)
	v.VEX = newBarChart(m.Vulnerabilities.ByStatus)
	v.Ecosys = newBarChart(m.SBOM.Ecosystems)

	for _, c := range m.Vulnerabilities.Cases {
		cv := caseView{Case: c, AwareText: formatTime(c.Aware)}
		for _, cl := range c.Clocks {
			cv.Clocks = append(cv.Clocks, clockView{Clock: cl, StageLabel: label(cl.Stage), DueText: formatTime(cl.Due), SubText: formatTime(cl.Submitted)})
		}
		v.Cases = append(v.Cases, cv)
	}
	return v
}

func rowState(r Requirement) string {
	if !r.Applicable {
		return "not_applicable"
	}
	switch r.Status {
	case Met, Partial, NotMet:
		return string(r.Status)
	}
	return string(Unknown)
}

// partOf returns 1 or 2 for an Annex I id, 0 for anything else.
func partOf(id string) int {
	p, ok := cra.Lookup(id)
	if !ok {
		return 0
	}
	return p.Part
}

// shortID turns CRA.A1.P1.2b into "2b" and CRA.A1.P2.3 into "II.3".
func shortID(id string) string {
	switch {
	case strings.HasPrefix(id, "CRA.A1.P1."):
		return strings.TrimPrefix(id, "CRA.A1.P1.")
	case strings.HasPrefix(id, "CRA.A1.P2."):
		return "II." + strings.TrimPrefix(id, "CRA.A1.P2.")
	}
	return id
}

func newMatrixChart(parts []part, counts map[string]int) matrixChart {
	var c matrixChart
	x, maxX := 0, 0
	for _, p := range parts {
		c.PartLabels = append(c.PartLabels, textAt{X: x, Y: 12, Text: partShort(p)})
		for _, r := range p.Rows {
			c.Cells = append(c.Cells, matrixCell{
				X: x, Y: 20, State: r.State, Short: shortID(r.ID),
				Tip: r.ID + " " + r.Title + ": " + statusLabel(r.State),
			})
			x += cellW + cellGap
		}
		maxX = x
		x += partGap
	}
	lx := 0
	for _, s := range stateOrder {
		c.Legend = append(c.Legend, legendItem{X: lx, State: string(s), Label: statusLabel(string(s)), Count: counts[string(s)]})
		lx += 150
	}
	c.Width = max(maxX, lx)
	c.Height = 20 + cellH + 36
	return c
}

func partShort(p part) string {
	switch {
	case strings.HasPrefix(p.Title, "Annex I, Part II"):
		return "Part II — vulnerability handling"
	case strings.HasPrefix(p.Title, "Annex I, Part I"):
		return "Part I — product properties"
	}
	return p.Title
}

const (
	chartW  = 640
	chartLW = 170
)

// newBarChart draws one bar per count, scaled to the largest.
func newBarChart(counts []Count) barChart {
	c := barChart{Width: chartW, LabelW: chartLW, TrackW: chartW - chartLW - 50, Empty: len(counts) == 0}
	top := 1
	for _, n := range counts {
		top = max(top, n.Count)
	}
	span := float64(chartW - chartLW - 50)
	for i, n := range counts {
		w := span * float64(n.Count) / float64(top)
		c.Rows = append(c.Rows, barRow{
			Y: i * (barH + barGap), Label: fit(label(n.Key)), Full: label(n.Key), Count: n.Count,
			Segments: []segment{{Key: cssKey(n.Key), X: chartLW, W: round1(w), N: n.Count, Tip: fmt.Sprintf("%s: %d", label(n.Key), n.Count)}},
			TextX:    chartLW + int(w) + 6,
		})
	}
	c.Height = max(1, len(counts))*(barH+barGap) - barGap
	return c
}

// newRunChart draws one stacked 100% bar per scan run.
func newRunChart(runs []runView) barChart {
	c := barChart{Width: chartW, LabelW: chartLW, TrackW: chartW - chartLW - 50, Empty: len(runs) == 0}
	span := float64(chartW - chartLW - 50)
	for i, r := range runs {
		row := barRow{Y: i * (barH + barGap), Label: r.Name, Count: r.Total, TextX: chartW - 44}
		if r.Deployment != "" {
			row.Label = r.Deployment + ": " + r.Name
		}
		row.Full, row.Label = row.Label, fit(row.Label)
		x := float64(chartLW)
		for _, s := range []struct {
			key string
			n   int
		}{{"pass", r.Pass}, {"fail", r.Fail}, {"unknown", r.Unknown}, {"waived", r.Waived}, {"not_applicable", r.NotApplicable}} {
			if s.n == 0 || r.Total == 0 {
				continue
			}
			w := span * float64(s.n) / float64(r.Total)
			row.Segments = append(row.Segments, segment{Key: s.key, X: round1(x), W: round1(w), N: s.n, Tip: fmt.Sprintf("%s: %d", label(s.key), s.n)})
			x += w
		}
		c.Rows = append(c.Rows, row)
	}
	c.Height = max(1, len(runs))*(barH+barGap) - barGap
	return c
}

// fit shortens a chart label to the width of the label column; the full
// text stays in the element's title.
func fit(s string) string {
	const n = 26
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }

func countOf(cs []Count, key string) int {
	n := 0
	for _, c := range cs {
		if strings.EqualFold(c.Key, key) {
			n += c.Count
		}
	}
	return n
}

// cssKey keeps a key usable as a class name suffix; unknown keys share a
// neutral colour.
func cssKey(k string) string {
	k = strings.ToLower(k)
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return "other"
		}
	}
	if k == "" {
		return "other"
	}
	return k
}

func statusLabel(s string) string {
	switch s {
	case string(Met):
		return "Met"
	case string(Partial):
		return "Partial"
	case string(NotMet):
		return "Not met"
	case string(Unknown):
		return "Unknown"
	case "not_applicable":
		return "Not applicable"
	}
	return label(s)
}

// label turns a snake_case key into words: "due_soon" → "due soon".
func label(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return "—"
	}
	return s
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
