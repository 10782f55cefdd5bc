package app

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/cradle-cra/cradle/internal/casestore"
	"github.com/cradle-cra/cradle/internal/psirt"
)

// CaseImportInput names the report and the product its findings are in.
type CaseImportInput struct {
	CaseInput
	File string // cradle vuln scan --format json
	// Product is the affected product; "" takes the product file's name.
	Product string
	Config  string   // product file; "" is ./cradle.yaml when it exists
	Version []string // affected product versions (new cases)
	// Suppressed also imports findings a VEX statement suppressed.
	Suppressed bool
}

// CaseImport turns each vulnerability of a vuln_report into a case of the
// product, one per vulnerability id: a later import of the same id and
// product updates that case (components, fixes, vector, KEV mark) instead
// of adding one. A finding in CISA's KEV catalogue marks the case
// actively exploited, aware from the import unless an awareness time was
// recorded: from then on the manufacturer knows, and the Article 14
// clocks run. Findings a VEX statement suppressed are skipped unless
// Suppressed.
func (a *App) CaseImport(ctx context.Context, in CaseImportInput) (*psirt.List, error) {
	f, err := os.Open(in.File)
	if err != nil {
		return nil, Usagef("%v", err)
	}
	groups, err := psirt.ParseReport(f)
	f.Close()
	if err != nil {
		return nil, Usagef("%s: %v", in.File, err)
	}
	prod := strings.TrimSpace(in.Product)
	if prod == "" {
		if p, _, err := a.productFile(in.Config); err != nil {
			return nil, err
		} else if p != nil {
			prod = p.Product.Name
		}
	}
	if prod == "" {
		return nil, Usagef("--product is required: no product file names the product")
	}
	s, err := a.openCases(ctx, in.Store)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	s.SetClock(a.now)
	if err := a.recordCases(ctx, s, in.Store); err != nil {
		return nil, err
	}
	actor := actorOr(in.Actor)
	var touched []*casestore.Case
	for _, g := range groups {
		if g.Suppressed && !in.Suppressed {
			continue
		}
		key := psirt.Key(g.ID, prod)
		src := &casestore.Source{Kind: "vuln_report", Key: key, File: in.File, KEV: g.KEVAdded}
		old, err := s.FindSource(ctx, key)
		if err != nil {
			return nil, err
		}
		note := in.Note
		if g.Exploited && note == "" {
			note = fmt.Sprintf("%s is in the KEV catalogue (added %s): actively exploited", g.ID, g.KEVAdded)
		}
		if old == nil {
			c := &casestore.Case{Product: prod, Versions: in.Version, Channel: "cradle vuln scan", Reporter: "cradle vuln scan", Source: src}
			g.Apply(c)
			a.markAware(c)
			if err := s.Create(ctx, c, actor, note); err != nil {
				return nil, err
			}
			touched = append(touched, c)
			continue
		}
		c, err := s.Update(ctx, old.ID, actor, "", func(c *casestore.Case) (string, error) {
			g.Apply(c)
			c.Source = src
			a.markAware(c)
			return "import", nil
		})
		if err != nil {
			return nil, err
		}
		touched = append(touched, c)
	}
	return a.caseDoc(ctx, s, touched, false)
}

// markAware starts the Article 14 clocks of a case marked exploited by
// an import at the import's time, unless a time was recorded.
func (a *App) markAware(c *casestore.Case) {
	if c.Exploited && c.Aware == nil {
		t := a.now().UTC()
		c.Aware = &t
	}
}
