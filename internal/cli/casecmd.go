package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cradle-cra/cradle/internal/app"
)

const caseLong = `Keep the product's vulnerability cases (Annex I Part II; Article 14) in a
local store ($CRADLE_HOME/cases/cases.db, embedded SQLite; --store FILE):
intake (reporter, channel, received time, affected product, versions and
SBOM components), triage with CVSS v3.1/v4.0 vectors (scores and severity
are computed from the vectors, never typed), the status workflow
new → triage → confirmed → fixing → fixed → closed, a remediation due date
per severity (critical 7 days, high 30, medium 90, low 180; unrated 30),
and — for an actively exploited vulnerability (--exploited) or a severe
incident (--incident) — the Article 14 clocks from the awareness time
(--aware): early warning 24 h, notification 72 h, final report 14 days
after a fix (vulnerability) or one month after the notification
(incident), each running, due soon, overdue or submitted, with the
report's content drafted from the case. cradle never submits: reports go
through ENISA's single reporting platform, by a person; record them with
--report. Every change is an event in the case's history and a signed
entry in the cases' change log ($CRADLE_HOME/logs; cradle case verify
checks both agree). Times are
RFC 3339 (2026-12-03T12:00:00Z, or with an offset) or "now", kept in UTC.
See docs/cra.md.`

func newCaseCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "case",
		Short: "Vulnerability cases: intake, triage, Article 14 clocks and report drafts",
		Long:  caseLong,
	}
	cmd.AddCommand(newCaseNewCmd(env), newCaseUpdateCmd(env), newCaseListCmd(env), newCaseShowCmd(env),
		newCaseCloseCmd(env), newCaseImportCmd(env), newCaseVerifyCmd(env))
	return cmd
}

// caseFlags binds the case fields; only flags given are applied.
type caseFlags struct {
	in                                                                   app.CaseInput
	title, descr, mitig, users, product, reporter, channel, cvss3, cvss4 string
	received, aware, mitigated, status                                   string
	versions, components, aliases, reports, fixed                        []string
	exploited, incident                                                  bool
}

func (cf *caseFlags) register(f *pflag.FlagSet, status bool) {
	f.StringVar(&cf.in.Store, "store", "", "case store `FILE` (default $CRADLE_HOME/cases/cases.db)")
	f.StringVar(&cf.in.Actor, "actor", "", "who acts (default the OS user)")
	f.StringVar(&cf.in.Note, "note", "", "a note kept in the case history")
	f.StringVar(&cf.title, "title", "", "one line naming the vulnerability or incident")
	f.StringVar(&cf.descr, "description", "", "what it is and its impact (used in report drafts)")
	f.StringVar(&cf.mitig, "mitigation", "", "corrective or mitigating measures taken or available")
	f.StringVar(&cf.users, "user-actions", "", "measures users can take")
	f.StringVar(&cf.product, "product", "", "affected product")
	f.StringSliceVar(&cf.versions, "version", nil, "affected product `version` (repeatable)")
	f.StringSliceVar(&cf.components, "component", nil, "affected component package `URL` from the SBOM (repeatable)")
	f.StringSliceVar(&cf.fixed, "fixed-version", nil, "product `version` that fixes it (repeatable; the advisory's vendor fix)")
	f.StringSliceVar(&cf.aliases, "alias", nil, "CVE, GHSA or OSV `ID` (repeatable)")
	f.StringVar(&cf.reporter, "reporter", "", "who reported it")
	f.StringVar(&cf.channel, "channel", "", "how it arrived (email, form, bug bounty, …)")
	f.StringVar(&cf.received, "received", "", "when it was received (default now)")
	f.StringVar(&cf.cvss3, "cvss3", "", "CVSS v3.1 `vector`")
	f.StringVar(&cf.cvss4, "cvss4", "", "CVSS v4.0 `vector`")
	f.BoolVar(&cf.exploited, "exploited", false, "actively exploited: reliable evidence of malicious exploitation (Art. 3(42))")
	f.BoolVar(&cf.incident, "incident", false, "a severe incident having an impact on the product's security (Art. 14(5))")
	f.StringVar(&cf.aware, "aware", "", "when the manufacturer became aware of the exploitation or incident (starts the clocks)")
	f.StringVar(&cf.mitigated, "mitigated", "", "when a corrective or mitigating measure became available")
	f.StringArrayVar(&cf.reports, "report", nil, "a submitted report: `STAGE[/KIND]=TIME[,REF]` or STAGE[/KIND]=covered (early_warning, notification, final_report)")
	if status {
		f.StringVar(&cf.status, "status", "", "new status: triage, confirmed, fixing, fixed or closed")
	}
}

// input returns the case input with the fields of the flags given.
func (cf *caseFlags) input(f *pflag.FlagSet) app.CaseInput {
	in := cf.in
	str := func(name string, v *string) *string {
		if f.Changed(name) {
			return v
		}
		return nil
	}
	list := func(name string, v []string) []string {
		if f.Changed(name) {
			return append([]string{}, v...)
		}
		return nil
	}
	flag := func(name string, v *bool) *bool {
		if f.Changed(name) {
			return v
		}
		return nil
	}
	in.Fields = app.CaseFields{
		Title: str("title", &cf.title), Description: str("description", &cf.descr), Mitigation: str("mitigation", &cf.mitig),
		UserActions: str("user-actions", &cf.users), Product: str("product", &cf.product), Reporter: str("reporter", &cf.reporter),
		Channel: str("channel", &cf.channel), CVSS3: str("cvss3", &cf.cvss3), CVSS4: str("cvss4", &cf.cvss4),
		Received: str("received", &cf.received), Aware: str("aware", &cf.aware), Mitigated: str("mitigated", &cf.mitigated),
		Status: str("status", &cf.status), Versions: list("version", cf.versions), Components: list("component", cf.components),
		Aliases: list("alias", cf.aliases), Reports: list("report", cf.reports), FixedVersions: list("fixed-version", cf.fixed),
		Exploited: flag("exploited", &cf.exploited), Incident: flag("incident", &cf.incident),
	}
	return in
}
