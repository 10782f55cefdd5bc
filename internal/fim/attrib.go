package fim

import (
	"fmt"
	"io"
	"strings"
)

// Who accounts for a change (Explanation.By).
const (
	ByFix       = "fix"        // a cradle fix run, recorded in the signed change log
	ByChangeLog = "change-log" // an entry appended with `cradle log append --path`
	ByPackage   = "package"    // the package manager: the content is what the installed package ships
	ByNone      = "none"       // unexplained
)

// Explanation says whether, and by what, a change is accounted for.
type Explanation struct {
	By string `json:"by"`
	// Ref names the evidence: a fix run id, "entry <seq>" of the change
	// log, or "<package> <version>".
	Ref    string `json:"ref,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Attribution summarises the explanations of a check: which sources were
// consulted (a source that was not cannot explain anything, so
// "unexplained" is relative to them) and how many changes each side has.
type Attribution struct {
	Sources     []string `json:"sources"`
	Explained   int      `json:"explained"`
	Unexplained int      `json:"unexplained"`
	// Hidden counts the explained changes --unexplained-only left out.
	Hidden int      `json:"hidden,omitempty"`
	Notes  []string `json:"notes,omitempty"`
}

// PackageCheck is the result of verify-packages: package-shipped files
// compared with the digests their package database records.
type PackageCheck struct {
	Manager  string `json:"manager"` // dpkg, apk or rpm
	Packages int    `json:"packages"`
	Files    int    `json:"files"`
	// Mismatched and Missing are the failures; ConffilesModified are
	// configuration files edited locally (listed only with --conffiles).
	Mismatched        int `json:"mismatched"`
	Missing           int `json:"missing"`
	ConffilesModified int `json:"conffiles_modified"`
	// ConffilesVerified: --conffiles; otherwise they were not read.
	ConffilesVerified bool `json:"conffiles_verified"`
	// Unknown are packages without recorded digests: nothing about their
	// files was verified.
	Unknown []string `json:"unknown"`
}

// Unexplained counts the changes not accounted for (all of them when no
// attribution was made).
func (r *Report) Unexplained() int {
	n := 0
	for _, c := range r.Changes {
		if c.Explained == nil || c.Explained.By == ByNone {
			n++
		}
	}
	return n
}

// KeepUnexplained drops the explained changes, counting them in
// Attribution.Hidden; the summary counts what remains.
func (r *Report) KeepUnexplained() {
	var keep []Change
	for _, c := range r.Changes {
		if c.Explained == nil || c.Explained.By == ByNone {
			keep = append(keep, c)
		}
	}
	if r.Attribution != nil {
		r.Attribution.Hidden += len(r.Changes) - len(keep)
	}
	r.SetChanges(keep)
}

// explainLine writes a change's explanation under it in the table.
func explainLine(w io.Writer, cmd string, c Change) {
	e := c.Explained
	if e == nil {
		return
	}
	line := "    explained by " + e.By
	switch {
	case cmd == CmdVerifyPackages:
		line = "    differs from package"
	case e.By == ByNone:
		line = "    UNEXPLAINED"
	}
	if e.Ref != "" {
		line += " (" + safe(e.Ref) + ")"
	}
	if e.Detail != "" {
		line += ": " + safe(e.Detail)
	}
	fmt.Fprintln(w, line)
}

// attributionLine writes the attribution summary of the table.
func attributionLine(w io.Writer, a *Attribution) {
	if a == nil {
		return
	}
	fmt.Fprintf(w, "attribution (%s): %d explained, %d unexplained", strings.Join(a.Sources, ", "), a.Explained, a.Unexplained)
	if a.Hidden > 0 {
		fmt.Fprintf(w, ", %d explained not shown", a.Hidden)
	}
	fmt.Fprintln(w)
	for _, n := range a.Notes {
		fmt.Fprintln(w, "note: "+safe(n))
	}
}

// packagesLine writes the verify-packages summary of the table.
func packagesLine(w io.Writer, p *PackageCheck) {
	if p == nil {
		return
	}
	fmt.Fprintf(w, "%s: %d packages, %d files: %d mismatched, %d missing, %d conffiles modified, %d packages without digests (unknown)\n",
		p.Manager, p.Packages, p.Files, p.Mismatched, p.Missing, p.ConffilesModified, len(p.Unknown))
}

// CmdVerifyPackages is the command of a verify-packages report.
const CmdVerifyPackages = "verify-packages"

// AttrMD5 is the diff attribute of a dpkg verify-packages mismatch
// (an rpm mismatch names the header's algorithm, usually sha256).
const AttrMD5 = "md5"
