package render

import (
	"fmt"
	"strings"

	"github.com/cradle-cra/cradle/internal/cra"
	"github.com/cradle-cra/cradle/internal/result"
)

// craLine names the CRA Annex I points of a result with their titles:
// "CRA.A1.P1.2d Protection from unauthorised access; …".
func craLine(ids []string) string {
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		if t := cra.Title(id); t != "" {
			parts = append(parts, id+" "+t)
		} else {
			parts = append(parts, id)
		}
	}
	return strings.Join(parts, "; ")
}

// targetFlag gives the flags that name the report's target again, as
// the scan was asked for it; "" for the live host.
func targetFlag(t result.Target) []string {
	switch t.Kind {
	case "rootfs":
		return []string{"--root", t.Name}
	case "image":
		return []string{"--image", t.Name}
	}
	return nil
}

// nextSteps ends the table with what to do about the failures: the fix
// commands (preview, then apply) for those with a native fix, where the
// manual notes are, how to get the HTML report and how to waive.
func nextSteps(bw *errWriter, r *result.Report, rerun []string) {
	fails := bySeverity(r.Results, result.Fail)
	errs := bySeverity(r.Results, result.Error)
	if len(fails)+len(errs) == 0 {
		return
	}
	args := append(targetFlag(r.Target), "--profile", r.Profile)
	args = append(args, rerun...)
	cmd := func(verb string, extra ...string) string {
		all := append(append([]string{"cradle", verb}, args...), extra...)
		for i, a := range all {
			all[i] = shellQuote(a)
		}
		return strings.Join(all, " ")
	}
	fixable, manual := 0, ""
	for _, res := range fails {
		if res.Fixable {
			fixable++
		} else if manual == "" {
			manual = res.RuleID
		}
	}
	bw.printf("\nNext steps:\n")
	if r.SCAP != nil {
		scapNextSteps(bw, len(fails), len(errs), cmd)
		return
	}
	if len(fails) > 0 {
		switch {
		case fixable == 0:
			bw.printf("  No native fix for %s here.\n", plural(len(fails), "failure", "failures"))
		case r.Target.Kind == "image":
			bw.printf("  %d of %s a native fix, but cradle fix does not change images:\n", fixable, plural(len(fails), "failure has", "failures have"))
			bw.printf("  fix the image's build, or run cradle fix --root on the tree it is built from.\n")
		default:
			bw.printf("  %d of %s a native fix. Preview the changes, then apply them:\n", fixable, plural(len(fails), "failure has", "failures have"))
			bw.printf("    %s\n    %s\n", cmd("fix"), cmd("fix", "--apply"))
		}
		if manual != "" {
			bw.printf("  %s no native fix here; each rule's notes say what to do: cradle rules %s\n", plural(len(fails)-fixable, "failure has", "failures have"), shellQuote(manual))
		}
	}
	if len(errs) > 0 {
		bw.printf("  %s not be evaluated (status error); the reasons are above.\n", plural(len(errs), "rule could", "rules could"))
	}
	bw.printf("  HTML report to share: %s\n", cmd("scan", "--format", "html", "-o", "cradle-report.html"))
	// A failure without a native fix is the likelier one to waive.
	example := manual
	if example == "" && len(fails) > 0 {
		example = fails[0].RuleID
	}
	if example == "" {
		example = errs[0].RuleID
	}
	bw.printf("  To accept a failure, waive it in a YAML file and scan with --waivers FILE (docs/tailoring.md):\n")
	bw.printf("    waivers:\n      - rule: %s\n        justification: why the risk is accepted\n        owner: team@example.com\n        expires: %s\n",
		example, r.StartedAt.AddDate(0, 6, 0).Format("2006-01-02"))
}

// scapNextSteps: rules of SCAP content have no native fix, and are
// accepted through an XCCDF tailoring file rather than cradle's waivers.
func scapNextSteps(bw *errWriter, fails, errs int, cmd func(string, ...string) string) {
	if fails > 0 {
		bw.printf("  %s: cradle has no native fix for rules of SCAP content; the benchmark's own fix texts say what to do.\n", plural(fails, "failure", "failures"))
	}
	if errs > 0 {
		bw.printf("  %s not be evaluated (status error or unknown); the reasons are above.\n", plural(errs, "rule could", "rules could"))
	}
	bw.printf("  HTML report to share: %s\n", cmd("scan", "--format", "html", "-o", "cradle-report.html"))
	bw.printf("  XCCDF results for SCAP tools: %s\n", cmd("scan", "--format", "arf", "-o", "cradle-arf.xml"))
	bw.printf("  To accept a failure, unselect the rule in an XCCDF tailoring file and scan with --tailoring FILE (docs/scap.md).\n")
}

// plural words a count: "1 rule could", "2 rules could".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// plain characters.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@+,%", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
