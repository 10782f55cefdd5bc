package evreport

import (
	"fmt"
	"io"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// A4 portrait, millimetres.
const (
	pageW   = 210.0
	margin  = 15.0
	bodyW   = pageW - 2*margin
	lineH   = 4.2
	bottomY = 297.0 - 18
)

type rgb struct{ r, g, b int }

// The HTML report's palette, so both read the same.
var palette = map[string]rgb{
	"met": {46, 125, 50}, "pass": {46, 125, 50}, "clean": {46, 125, 50}, "open": {46, 125, 50}, "submitted": {46, 125, 50}, "running": {46, 125, 50},
	"not_affected": {46, 125, 50}, "known_not_affected": {46, 125, 50}, "fixed": {46, 125, 50}, "resolved": {46, 125, 50},
	"partial": {239, 108, 0}, "conditional": {239, 108, 0}, "due_soon": {239, 108, 0}, "submitted_late": {239, 108, 0},
	"not_met": {198, 40, 40}, "fail": {198, 40, 40}, "changed": {198, 40, 40}, "closed": {198, 40, 40}, "overdue": {198, 40, 40},
	"affected": {198, 40, 40}, "known_affected": {198, 40, 40}, "exploitable": {198, 40, 40},
	"unknown": {141, 110, 99}, "not_started": {141, 110, 99}, "under_investigation": {141, 110, 99},
	"not_applicable": {144, 164, 174}, "waived": {21, 101, 192},
	"critical": {127, 0, 0}, "high": {211, 47, 47}, "medium": {239, 108, 0}, "low": {249, 168, 37}, "none": {120, 144, 156},
}

var otherColour = rgb{92, 122, 153}

func colour(key string) rgb {
	if c, ok := palette[key]; ok {
		return c
	}
	return otherColour
}

// pdfDoc wraps fpdf with the report's text helpers: tr converts UTF-8 to
// the core fonts' Windows-1252.
type pdfDoc struct {
	*fpdf.Fpdf
	tr func(string) string
}

// PDF writes the report as a PDF document. The creation date is the
// model's Generated time (the Unix epoch when unset), so a fixed model
// gives identical bytes.
func PDF(w io.Writer, mp *Model) error {
	if mp == nil {
		return errNilModel
	}
	m := *mp
	v := newView(m, "")
	f := fpdf.New("P", "mm", "A4", "")
	created := m.Generated.UTC()
	if m.Generated.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.SetCatalogSort(true)
	f.SetCompression(true)
	d := &pdfDoc{Fpdf: f, tr: f.UnicodeTranslatorFromDescriptor("")}
	f.SetTitle(d.tr(v.Title), false)
	if m.Manufacturer.Name != "" {
		f.SetAuthor(d.tr(m.Manufacturer.Name), false)
	}
	if m.Tool != "" {
		f.SetCreator(d.tr(m.Tool), false)
		f.SetProducer(d.tr(m.Tool), false)
	} else {
		f.SetProducer("cradle", false)
	}
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(true, 297-bottomY)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetY(-12)
		d.font("", 7.5)
		f.SetTextColor(91, 102, 117)
		f.CellFormat(bodyW/2, 4, d.tr(v.Title), "", 0, "L", false, 0, "")
		f.CellFormat(bodyW/2, 4, fmt.Sprintf("page %d of {nb}", f.PageNo()), "", 0, "R", false, 0, "")
		f.SetTextColor(27, 36, 48)
	})
	f.AddPage()
	d.cover(v)
	d.charts(v)
	d.productSection(v)
	d.matrixSection(v)
	d.scanSection(v)
	d.vulnSection(v)
	d.sbomSection(v)
	d.integritySection(v)
	d.manifestSection(v)
	if err := f.Output(w); err != nil {
		return fmt.Errorf("evidence report pdf: %w", err)
	}
	return nil
}

func (d *pdfDoc) font(style string, size float64) { d.SetFont("Helvetica", style, size) }

func (d *pdfDoc) fill(key string) {
	c := colour(key)
	d.SetFillColor(c.r, c.g, c.b)
}

// need starts a new page when h millimetres do not fit on this one.
func (d *pdfDoc) need(h float64) {
	if d.GetY()+h > bottomY {
		d.AddPage()
	}
}

func (d *pdfDoc) heading(s string) {
	d.need(22)
	d.Ln(4)
	d.font("B", 13)
	d.CellFormat(bodyW, 7, d.tr(s), "B", 1, "L", false, 0, "")
	d.Bookmark(d.tr(s), 0, -1)
	d.Ln(2)
}

func (d *pdfDoc) sub(s string) {
	d.need(14)
	d.Ln(1)
	d.font("B", 10)
	d.CellFormat(bodyW, 6, d.tr(s), "", 1, "L", false, 0, "")
}

func (d *pdfDoc) para(s string) {
	d.font("", 9)
	d.MultiCell(bodyW, lineH+0.4, d.tr(s), "", "L", false)
	d.Ln(1)
}

func (d *pdfDoc) muted(s string) {
	d.SetTextColor(91, 102, 117)
	d.para(s)
	d.SetTextColor(27, 36, 48)
}

// col is one table column; mono columns use Courier.
type col struct {
	head string
	w    float64
	mono bool
	num  bool
}

// cell is one table value; badge colours the cell by a state key.
type cell struct {
	text  string
	badge string
}

func plain(ss ...string) []cell {
	out := make([]cell, len(ss))
	for i, s := range ss {
		out[i] = cell{text: s}
	}
	return out
}

// table draws rows with wrapped cells, repeating the header on each page.
func (d *pdfDoc) table(cols []col, rows [][]cell) {
	const size = 8.0
	header := func() {
		d.font("B", 7.5)
		d.SetFillColor(248, 250, 252)
		d.SetTextColor(91, 102, 117)
		for _, c := range cols {
			align := "L"
			if c.num {
				align = "R"
			}
			d.CellFormat(c.w, 6, d.tr(strings.ToUpper(c.head)), "B", 0, align, true, 0, "")
		}
		d.Ln(-1)
		d.SetTextColor(27, 36, 48)
	}
	d.need(14)
	header()
	for _, row := range rows {
		lines := make([][]string, len(cols))
		n := 1
		for i, c := range cols {
			d.colFont(c, size)
			if i < len(row) {
				lines[i] = d.wrap(row[i].text, c.w)
			}
			n = max(n, len(lines[i]))
		}
		h := float64(n)*lineH + 2
		if d.GetY()+h > bottomY {
			d.AddPage()
			header()
		}
		x, y := d.GetX(), d.GetY()
		for i, c := range cols {
			d.colFont(c, size)
			if i < len(row) && row[i].badge != "" {
				d.fill(row[i].badge)
				d.Rect(x+0.5, y+0.6, c.w-1, lineH+0.6, "F")
				d.SetTextColor(255, 255, 255)
				d.font("B", 7.5)
			}
			align := "L"
			if c.num {
				align = "R"
			}
			for j, ln := range lines[i] {
				d.SetXY(x, y+1+float64(j)*lineH)
				d.CellFormat(c.w, lineH, d.tr(ln), "", 0, align, false, 0, "")
			}
			d.SetTextColor(27, 36, 48)
			x += c.w
		}
		d.SetDrawColor(221, 227, 234)
		d.Line(margin, y+h, margin+bodyW, y+h)
		d.SetXY(margin, y+h)
	}
	d.Ln(2)
}

func (d *pdfDoc) colFont(c col, size float64) {
	if c.mono {
		d.SetFont("Courier", "", size-1)
		return
	}
	d.font("", size)
}

// wrap splits s into lines that fit width w with the current font;
// newlines in s start new lines.
func (d *pdfDoc) wrap(s string, w float64) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		if para == "" {
			out = append(out, "")
			continue
		}
		out = append(out, d.SplitText(para, w)...)
	}
	return out
}

func (d *pdfDoc) cover(v view) {
	d.font("B", 18)
	d.MultiCell(bodyW, 8, d.tr(v.Title), "", "L", false)
	d.font("", 9.5)
	d.SetTextColor(91, 102, 117)
	sub := "Evidence of conformity with Regulation (EU) 2024/2847 (Cyber Resilience Act)"
	if v.Generated != "" {
		sub += " · generated " + v.Generated
	}
	d.MultiCell(bodyW, 5, d.tr(sub), "", "L", false)
	d.SetTextColor(27, 36, 48)
	d.Ln(3)
	m := v.M
	support := "not recorded"
	if m.Support.End != "" {
		support = m.Support.Start + " – " + m.Support.End
	}
	pairs := [][2]string{
		{"Product", or(m.Product.Name, "not recorded")}, {"Release", or(m.Release, "not recorded")},
		{"Manufacturer", or(m.Manufacturer.Name, "not recorded")}, {"Class", or(m.Classification.Class, "not classified")},
		{"Route", or(m.Classification.Route, "not chosen")}, {"Support period", support},
		{"Keep until", or(m.Retention.Until, "not recorded")},
	}
	const cw = bodyW / 4
	for i, p := range pairs {
		x := margin + float64(i%4)*cw
		y := d.GetY()
		d.SetXY(x, y)
		d.font("", 7)
		d.SetTextColor(91, 102, 117)
		d.CellFormat(cw, 3.5, d.tr(strings.ToUpper(p[0])), "", 2, "L", false, 0, "")
		d.SetX(x)
		d.SetTextColor(27, 36, 48)
		d.font("B", 9.5)
		d.CellFormat(cw, 5, d.tr(clip(d, p[1], cw-2)), "", 0, "L", false, 0, "")
		if i%4 == 3 || i == len(pairs)-1 {
			d.SetXY(margin, y+10)
		} else {
			d.SetXY(x+cw, y)
		}
	}
	d.Ln(2)
	// Summary cards.
	cardW := (bodyW - 4*3) / 5
	y := d.GetY()
	for i, c := range v.Cards {
		x := margin + float64(i)*(cardW+3)
		d.SetDrawColor(221, 227, 234)
		d.Rect(x, y, cardW, 16, "D")
		d.fill(map[string]string{"met": "met", "not_met": "not_met", "unknown": "unknown", "exploited": "critical", "open": "high"}[c.Key])
		d.Rect(x, y, cardW, 1.2, "F")
		d.SetXY(x+2, y+2.5)
		d.font("B", 14)
		d.CellFormat(cardW-4, 6, d.tr(c.Value), "", 2, "L", false, 0, "")
		d.SetX(x + 2)
		d.font("", 6.5)
		d.SetTextColor(91, 102, 117)
		d.CellFormat(cardW-4, 4, d.tr(strings.ToUpper(c.Label)), "", 0, "L", false, 0, "")
		d.SetTextColor(27, 36, 48)
	}
	d.SetXY(margin, y+20)
}

// clip shortens s with an ellipsis to fit width w in the current font.
func clip(d *pdfDoc, s string, w float64) string {
	if d.GetStringWidth(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && d.GetStringWidth(string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
