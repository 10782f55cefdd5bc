package evreport

import (
	"fmt"
	"strings"
)

// SVG user units of the HTML charts to millimetres on the page.
const (
	matrixScale = bodyW / 1000
	barScale    = 0.27
)

func (d *pdfDoc) charts(v view) {
	d.heading("Compliance by Annex I point")
	if len(v.Matrix.Cells) == 0 {
		d.muted("No Annex I matrix recorded.")
	} else {
		s := min(matrixScale, bodyW/float64(v.Matrix.Width))
		x0, y0 := margin, d.GetY()
		d.font("", 7.5)
		d.SetTextColor(91, 102, 117)
		for _, p := range v.Matrix.PartLabels {
			d.Text(x0+float64(p.X)*s, y0+3, d.tr(p.Text))
		}
		for _, c := range v.Matrix.Cells {
			x, y := x0+float64(c.X)*s, y0+float64(c.Y)*s
			d.fill(c.State)
			d.RoundedRect(x, y, cellW*s, cellH*s, 0.8, "1234", "F")
			d.SetTextColor(255, 255, 255)
			d.font("B", 6.5)
			d.SetXY(x, y)
			d.CellFormat(cellW*s, cellH*s, d.tr(c.Short), "", 0, "C", false, 0, "")
		}
		d.SetTextColor(27, 36, 48)
		ly := y0 + float64(20+cellH)*s + 4
		for _, l := range v.Matrix.Legend {
			x := x0 + float64(l.X)*s
			d.fill(l.State)
			d.Rect(x, ly, 2.6, 2.6, "F")
			d.font("", 7.5)
			d.Text(x+4, ly+2.4, d.tr(fmt.Sprintf("%s: %d", l.Label, l.Count)))
		}
		d.SetXY(margin, ly+6)
	}
	d.sub("Scan results per baseline")
	d.bars(v.RunChart)
	d.sub("Open vulnerabilities by severity")
	d.bars(v.Severity)
	if len(v.VEX.Rows) > 0 {
		d.sub("Vulnerabilities by status")
		d.bars(v.VEX)
	}
}

// bars draws a barChart with the HTML geometry scaled to the page.
func (d *pdfDoc) bars(c barChart) {
	if c.Empty {
		d.muted("Nothing recorded.")
		return
	}
	d.need(float64(c.Height)*barScale + 4)
	x0, y0 := margin, d.GetY()
	for _, r := range c.Rows {
		y := y0 + float64(r.Y)*barScale
		d.font("", 7.5)
		d.Text(x0, y+4, d.tr(r.Label))
		d.SetFillColor(237, 241, 245)
		d.Rect(x0+float64(c.LabelW)*barScale, y, float64(c.TrackW)*barScale, barH*barScale, "F")
		for _, s := range r.Segments {
			d.fill(s.Key)
			d.Rect(x0+s.X*barScale, y, s.W*barScale, barH*barScale, "F")
		}
		d.SetTextColor(91, 102, 117)
		d.Text(x0+float64(r.TextX)*barScale, y+4, fmt.Sprint(r.Count))
		d.SetTextColor(27, 36, 48)
	}
	d.SetXY(margin, y0+float64(c.Height)*barScale+3)
}

func (d *pdfDoc) productSection(v view) {
	m := v.M
	d.heading("Product and release")
	support := "not recorded"
	if m.Support.End != "" {
		support = m.Support.Start + " – " + m.Support.End
	}
	if m.Support.Justification != "" {
		support += "\n" + m.Support.Justification
	}
	retention := or(m.Retention.Until, "not recorded")
	if m.Retention.Reason != "" {
		retention += "\n" + m.Retention.Reason
	}
	manu := strings.Join(nonEmpty(or(m.Manufacturer.Name, "not recorded"), m.Manufacturer.Address, m.Manufacturer.Email, m.Manufacturer.Website), "\n")
	rows := [][]cell{
		plain("Product", or(m.Product.Name, "not recorded")),
		plain("Model", m.Product.Model),
		plain("Identifier", m.Product.Identifier),
		plain("Release", or(m.Release, "not recorded")),
		plain("Description", m.Product.Description),
		plain("Intended purpose", or(m.Product.IntendedPurpose, "not recorded")),
		plain("Manufacturer", manu),
		plain("Security contact", or(m.Manufacturer.SecurityContact, "not recorded")),
		plain("Support period", support),
		plain("Retention", retention),
	}
	var kept [][]cell
	for _, r := range rows {
		if r[1].text != "" {
			kept = append(kept, r)
		}
	}
	d.table([]col{{head: "", w: 40}, {head: "", w: bodyW - 40}}, kept)

	d.heading("Classification and conformity assessment")
	c := m.Classification
	line := "Class: " + or(c.Class, "not classified")
	if len(c.Categories) > 0 {
		line += " · categories " + strings.Join(c.Categories, ", ")
	}
	if c.Route != "" {
		line += " · chosen route: " + c.Route
	}
	d.para(line)
	if len(c.Routes) > 0 {
		var rows [][]cell
		for _, r := range c.Routes {
			rows = append(rows, []cell{{text: r.Name}, {text: label(r.State), badge: r.State}, {text: r.Reason}})
		}
		d.table([]col{{head: "Route", w: 35}, {head: "State", w: 25}, {head: "Why", w: bodyW - 60}}, rows)
	}
}

func (d *pdfDoc) matrixSection(v view) {
	d.heading("Annex I matrix")
	if len(v.Parts) == 0 {
		d.muted("No Annex I matrix recorded.")
	}
	for _, p := range v.Parts {
		d.sub(p.Title)
		var rows [][]cell
		for _, r := range p.Rows {
			req := r.Title
			if !r.Applicable {
				req += "\nNot applicable: " + or(r.Justification, "no justification recorded")
			}
			id := r.ID
			if r.Official != "" {
				id += "\n" + strings.TrimPrefix(r.Official, "Annex I, ")
			}
			rows = append(rows, []cell{
				{text: id}, {text: req}, {text: statusLabel(r.State), badge: r.State},
				{text: dash(bullets(r.Controls))}, {text: dash(bullets(r.Evidence))}, {text: dash(bullets(r.Gaps))},
			})
		}
		d.table([]col{{head: "Point", w: 28}, {head: "Requirement", w: 40}, {head: "Status", w: 20},
			{head: "Controls", w: 35}, {head: "Evidence", w: 30}, {head: "Gaps", w: bodyW - 153}}, rows)
	}
}

func (d *pdfDoc) scanSection(v view) {
	d.heading("Configuration scans")
	if len(v.Runs) == 0 {
		d.muted("No scan results in this pack.")
		return
	}
	var rows [][]cell
	for _, r := range v.Runs {
		rows = append(rows, plain(r.Name, r.Deployment, fmt.Sprint(r.Pass), fmt.Sprint(r.Fail), fmt.Sprint(r.Unknown),
			fmt.Sprint(r.Waived), fmt.Sprint(r.NotApplicable), r.Evidence))
	}
	d.table([]col{{head: "Baseline / profile", w: 40}, {head: "Deployment", w: 28}, {head: "Pass", w: 14, num: true},
		{head: "Fail", w: 14, num: true}, {head: "Unknown", w: 16, num: true}, {head: "Waived", w: 15, num: true},
		{head: "N/A", w: 12, num: true}, {head: "Evidence", w: bodyW - 139, mono: true}}, rows)
}

func (d *pdfDoc) vulnSection(v view) {
	m := v.M.Vulnerabilities
	d.heading("Vulnerabilities")
	if len(m.BySeverity) == 0 {
		d.muted("No vulnerability report in this pack.")
	} else {
		var parts []string
		for _, c := range m.BySeverity {
			parts = append(parts, fmt.Sprintf("%s %d", label(c.Key), c.Count))
		}
		d.para("Open by severity: " + strings.Join(parts, " · "))
	}
	if len(m.ByStatus) > 0 {
		var parts []string
		for _, c := range m.ByStatus {
			parts = append(parts, fmt.Sprintf("%s %d", label(c.Key), c.Count))
		}
		d.para("By status: " + strings.Join(parts, " · "))
	}
	d.sub("Actively exploited vulnerabilities and severe incidents (Article 14)")
	if len(v.Cases) == 0 {
		d.para("None recorded.")
	}
	for _, c := range v.Cases {
		d.need(24)
		d.font("B", 9.5)
		head := strings.Join(nonEmpty(c.ID, c.Title, c.Severity, label(c.Status), c.Kind), " · ")
		d.MultiCell(bodyW, 5, d.tr(head), "", "L", false)
		if len(c.Aliases) > 0 {
			d.muted(strings.Join(c.Aliases, ", "))
		}
		d.muted("Aware since " + or(c.AwareText, "not recorded"))
		if len(c.Clocks) > 0 {
			var rows [][]cell
			for _, cl := range c.Clocks {
				rows = append(rows, []cell{{text: cl.StageLabel}, {text: label(cl.Status), badge: cl.Status}, {text: cl.DueText}, {text: cl.SubText}, {text: cl.Reference}})
			}
			d.table([]col{{head: "Report", w: 32}, {head: "State", w: 28}, {head: "Due", w: 40}, {head: "Submitted", w: 40}, {head: "Reference", w: bodyW - 140, mono: true}}, rows)
		}
	}
	if len(m.Evidence) > 0 {
		d.para("Evidence: " + strings.Join(m.Evidence, ", "))
	}
}

func (d *pdfDoc) sbomSection(v view) {
	s := v.M.SBOM
	d.heading("Software bill of materials")
	if s.Components == 0 && s.Evidence == "" {
		d.muted("No SBOM in this pack.")
		return
	}
	d.para(strings.Join(nonEmpty(fmt.Sprintf("%d components", s.Components), s.Format, s.Evidence), " · "))
	if len(v.Ecosys.Rows) > 0 {
		d.sub("Components by ecosystem")
		d.bars(v.Ecosys)
	}
}

func (d *pdfDoc) integritySection(v view) {
	d.heading("File integrity and configuration drift")
	if len(v.M.Integrity) == 0 {
		d.muted("No integrity or drift check in this pack.")
		return
	}
	var rows [][]cell
	for _, c := range v.M.Integrity {
		rows = append(rows, []cell{{text: c.Name}, {text: label(c.Status), badge: c.Status}, {text: c.Summary}, {text: c.Evidence}})
	}
	d.table([]col{{head: "Check", w: 25}, {head: "State", w: 22}, {head: "Summary", w: 80}, {head: "Evidence", w: bodyW - 127, mono: true}}, rows)
}

func (d *pdfDoc) manifestSection(v view) {
	m := v.M
	d.heading("Pack contents and signature")
	s := "Manifest signed"
	if m.Signature.Algorithm != "" {
		s += " with " + m.Signature.Algorithm
	}
	if m.Signature.Format != "" {
		s += " (" + m.Signature.Format + ")"
	}
	if m.Signature.KeyID != "" {
		s += ", key " + m.Signature.KeyID
	}
	if m.Signature.File != "" {
		s += "; signature in " + m.Signature.File
	}
	d.para(s + ". Check it with `cradle evidence verify`.")
	if len(m.Artifacts) > 0 {
		var rows [][]cell
		for _, a := range m.Artifacts {
			rows = append(rows, plain(a.Path, humanSize(a.Size), a.SHA256))
		}
		d.table([]col{{head: "File", w: 60, mono: true}, {head: "Size", w: 18, num: true}, {head: "SHA-256", w: bodyW - 78, mono: true}}, rows)
	}
	if len(m.Notes) > 0 {
		d.heading("Notes")
		for _, n := range m.Notes {
			d.para("• " + n)
		}
	}
	foot := "This report summarises the evidence pack; the signed files in the pack are authoritative."
	if m.Tool != "" {
		foot = "Generated by " + m.Tool + ". " + foot
	}
	d.Ln(3)
	d.muted(foot)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" && s != "—" {
			out = append(out, s)
		}
	}
	return out
}

func bullets(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return "• " + strings.Join(ss, "\n• ")
}

func dash(s string) string { return or(s, "—") }
