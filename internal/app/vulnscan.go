package app

import (
	"context"
	"os"
	"slices"
	"time"

	"github.com/cradle-cra/cradle/internal/collect/packages"
	"github.com/cradle-cra/cradle/internal/sbom"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/vex"
	"github.com/cradle-cra/cradle/internal/vuln"
)

// VulnScanInput is a vulnerability scan request: an input file (a
// CycloneDX or SPDX JSON SBOM, or a Go binary) or else the target's packages.
type VulnScanInput struct {
	Input     string
	Target    target.Spec
	DB        string
	VEX       []string
	FailOn    string // severity, "known-exploited" or "" (report only)
	UnknownAs string // "" → vuln.DefaultUnknownAs
	MaxAge    time.Duration
	Time      time.Time // zero → now
}

// VulnScan matches the components against the local database, applies
// VEX and decides the gate. The report is returned even when the gate
// fails; the caller turns Gate.Failed into exit code 3.
func (a *App) VulnScan(ctx context.Context, in VulnScanInput) (*vuln.Report, error) {
	if in.UnknownAs == "" {
		in.UnknownAs = vuln.DefaultUnknownAs
	}
	if err := vuln.CheckGate(in.FailOn, in.UnknownAs); err != nil {
		return nil, Usagef("%v", err)
	}
	now := in.Time
	if now.IsZero() {
		now = time.Now()
	}
	var stmts []vex.Statement
	for _, p := range in.VEX {
		f, err := os.Open(p)
		if err != nil {
			return nil, Input(err)
		}
		s, err := vex.Read(f, p)
		f.Close()
		if err != nil {
			return nil, Input(err)
		}
		stmts = append(stmts, s...)
	}
	path, err := a.vulnDBPath(in.DB)
	if err != nil {
		return nil, err
	}
	d, info, err := a.openVulnDB(path, in.MaxAge, now)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	comps, gaps, name, err := a.vulnComponents(ctx, in)
	if err != nil {
		return nil, err
	}
	findings, more, err := vuln.Match(d, comps)
	if err != nil {
		return nil, err
	}
	vuln.ApplyVEX(findings, stmts)
	r := &vuln.Report{SchemaVersion: vuln.ReportSchemaVersion, Kind: vuln.ReportKind, Target: name, Time: now.UTC(),
		Components: len(comps), Findings: findings, Gaps: append(gaps, more...),
		Gate: vuln.Gate{FailOn: in.FailOn, UnknownAs: in.UnknownAs}}
	if r.Findings == nil {
		r.Findings = []vuln.Finding{}
	}
	if r.Gaps == nil {
		r.Gaps = []vuln.Gap{}
	}
	r.Database = vuln.Database{Path: path, Schema: info.Schema, Updated: info.Updated.UTC(), AgeSeconds: int64(now.Sub(info.Updated).Seconds()),
		Vulns: info.Vulns, KEV: info.KEV, EPSS: info.EPSS, Sources: []string{}}
	for _, p := range info.Imports {
		r.Database.Sources = append(r.Database.Sources, p.Kind+" "+p.Source)
	}
	slices.Sort(r.Database.Sources)
	r.Decide()
	return r, nil
}

// vulnComponents reads the input file, or catalogues the target with the
// collector "cradle sbom" uses.
func (a *App) vulnComponents(ctx context.Context, in VulnScanInput) ([]vuln.Component, []vuln.Gap, string, error) {
	if in.Input != "" {
		if vuln.IsGoBinary(in.Input) {
			c, err := vuln.GoBinary(in.Input)
			if err != nil {
				return nil, nil, "", Input(err)
			}
			return c, nil, in.Input, nil
		}
		f, err := os.Open(in.Input)
		if err != nil {
			return nil, nil, "", Input(err)
		}
		defer f.Close()
		c, g, err := vuln.ReadSBOM(f)
		if err != nil {
			return nil, nil, "", Input(err)
		}
		return c, g, in.Input, nil
	}
	t, err := openTarget(ctx, in.Target)
	if err != nil {
		return nil, nil, "", err
	}
	defer t.Close()
	// Matching needs names and versions, not the files' hashes.
	b, err := sbom.BuildWith(ctx, t, in.Target.ID(), in.Target.Kind == target.KindImage, sbom.Options{NoFileHashes: true})
	if err != nil {
		return nil, nil, "", err
	}
	// The SBOM leaves out source packages; distribution advisories are
	// filed under them, so they are read from the same collector.
	sources := map[string]string{}
	if db, err := packages.Collect(ctx, t); err == nil {
		for _, p := range db.Packages {
			if p.Source != "" && p.PURL != "" {
				sources[p.PURL] = p.Source
			}
		}
	}
	var comps []vuln.Component
	var gaps []vuln.Gap
	for _, c := range b.Components {
		if vc, ok := vuln.FromPURL(c.PURL); ok {
			vc.SetSource(sources[c.PURL])
			comps = append(comps, vc)
		} else {
			gaps = append(gaps, vuln.Gap{Package: vuln.Package{Name: c.Name, Version: c.Version, PURL: c.PURL}, Reason: "no package URL of a known ecosystem"})
		}
	}
	for _, g := range b.Gaps {
		gaps = append(gaps, vuln.Gap{Reason: "package database not read: " + g})
	}
	return comps, gaps, in.Target.ID(), nil
}
