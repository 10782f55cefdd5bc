package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
)

const vulnScanLong = `Match software components against the local vulnerability database
("cradle vuln db import") and gate a release on what is found. Offline:
nothing is downloaded.

Input: an SBOM (CycloneDX or SPDX JSON) or a Go binary (its build information: the
modules it was built with and the standard library of its Go version)
named as the argument; without one, the target's installed packages as
"cradle sbom" catalogues them (the live host, --root DIR or --image FILE).

Versions compare with each ecosystem's own rules (Go, npm, PyPI, Debian,
Ubuntu, Alpine, RPM distributions, Maven, crates.io, RubyGems). Records that share
an id or alias are one finding. Severity is the highest CVSS v3.x/v4.0
base score of the records (else the database's own word); records with
none are "unknown". A CVE in the imported KEV catalogue marks the finding
exploited. --vex FILE (OpenVEX or CycloneDX VEX, repeatable) suppresses
findings stated not_affected or fixed; the justification stays in the
report. See docs/vulnerabilities.md.

Formats (--format): table; json (the vuln_report document); sarif (SARIF
2.1.0); cyclonedx (a CycloneDX 1.6 vulnerability report with VEX
analyses, separate from the SBOM); openvex (OpenVEX statements to triage).

Gate (--fail-on): critical, high, medium, low or unknown (any finding)
fails on unsuppressed findings at or above that severity, an unknown
severity (every Go database record) counting as --unknown-as: default
high, so it fails --fail-on high and below but not --fail-on critical;
the report counts the findings this rule decided. known-exploited fails
only on KEV findings. A
known-exploited finding fails every threshold. Without --fail-on the
report is written and the exit code is 0.

Exit codes: 0 no gate failure; 3 the gate failed; 2 usage or input error
(a missing database, or one older than --max-age, with its age; an
unreadable SBOM, binary or VEX file); 1 internal error; 130 interrupted.`

type vulnScanFlags struct {
	targetFlags
	outputFlags
	db, failOn, unknownAs string
	vex                   []string
	maxAge                time.Duration
}

func newVulnCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vuln",
		Short: "Offline vulnerability database and release gate (OSV, KEV, EPSS, VEX)",
		Long: `Import vulnerability data (OSV, CISA KEV, EPSS) into a local database and
scan SBOMs, Go binaries, root filesystems and images against it.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newVulnScanCmd(env), newVulnDBCmd(env))
	return cmd
}

func newVulnScanCmd(env *Env) *cobra.Command {
	var f vulnScanFlags
	cmd := &cobra.Command{
		Use:   "scan [SBOM | GO-BINARY] [--root DIR | --image FILE] [flags]",
		Short: "Match an SBOM, a Go binary or a target's packages against the local vulnerability database",
		Long:  vulnScanLong,
		Example: `  cradle vuln scan app.cdx.json --fail-on high
  cradle vuln scan ./bin/server --format sarif -o vuln.sarif
  cradle vuln scan --root /srv/rootfs --vex product.openvex.json --fail-on known-exploited
  cradle vuln scan --image app.tar --format openvex -o triage.openvex.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, sink, err := specFor(cmd, env, &f.targetFlags, &f.outputFlags)
			if err != nil {
				return err
			}
			in := app.VulnScanInput{Target: spec, DB: f.db, VEX: f.vex, FailOn: f.failOn, UnknownAs: f.unknownAs, MaxAge: f.maxAge}
			if len(args) == 1 {
				if !spec.IsHost() {
					return usageErr("give an SBOM or binary, or --root/--image, not both")
				}
				in.Input = args[0]
			}
			r, err := env.app().VulnScan(cmd.Context(), in)
			if err != nil {
				return err
			}
			if err := sink.Write(r, output.Options{}); err != nil {
				return err
			}
			if r.Gate.Failed {
				return app.Findingsf("%s", r.Gate.Explain())
			}
			return nil
		},
	}
	f.targetFlags.register(cmd, targetOpts{what: "scan the packages of", noQuiet: true})
	f.outputFlags.register(cmd, output.KindVulnReport, false)
	fl := cmd.Flags()
	fl.StringVar(&f.db, "db", "", "vulnerability database `FILE` (default $CRADLE_HOME/vuln/osv.db)")
	fl.StringArrayVar(&f.vex, "vex", nil, "OpenVEX or CycloneDX VEX `FILE` whose not_affected/fixed statements suppress findings (repeatable)")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 3 on findings at or above `LEVEL`: critical, high, medium, low, unknown, or known-exploited")
	fl.StringVar(&f.unknownAs, "unknown-as", "high", "severity a finding without one counts as in the gate (`LEVEL`; unknown: only --fail-on unknown)")
	fl.DurationVar(&f.maxAge, "max-age", 7*24*time.Hour, "refuse a database last imported longer ago than `DURATION` (0: any age)")
	return cmd
}
