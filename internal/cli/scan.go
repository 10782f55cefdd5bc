package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
	"github.com/cradle-cra/cradle/internal/result"
)

type scanFlags struct {
	targetFlags
	selectionFlags
	outputFlags
	failOn           string
	verbose, noColor bool
	maxEvidence      int
	scap             scapFlags
}

const scanLong = `Evaluate a target against a hardening profile and report, per rule, pass,
fail, not_applicable (with the reason), error (with the reason) or waived,
with the evidence observed (expected value, observed value, file and line).

Targets (one of):
  (none)          the live host this command runs on ("/"); run as root for
                  complete results, otherwise unreadable files are reported as
                  errors, not passes
  --root DIR      an offline root filesystem (a chroot, a mounted image, a
                  debootstrap tree); runtime state is not evaluated
  --image FILE    a container image archive: "docker save" tarball or an OCI
                  image layout (directory or tar); layers are applied with
                  whiteouts in memory, nothing is unpacked or executed;
                  --image-max-bytes, --image-max-entries and
                  --image-max-name-bytes raise the bounds on its size
                  (docs/security.md)

Every file is read through a resolver that keeps symlinks inside the target
root, and a scan never writes into the target.

Profiles (--profile, see "cradle rules --profile P"):
  default   secure by default, safe on any server
  strict    default plus defence in depth
  product   default plus checks for shipped device and appliance images
            (empty/default passwords, debug and legacy admin services)

Tailoring (--tailoring FILE) selects or unselects rules and overrides
parameters; waivers (--waivers FILE) accept failures with justification,
owner, scope and expiry — an expired waiver no longer waives. Both are YAML
and are validated before anything is scanned (docs/tailoring.md). --rules
FILE|DIR adds your own rules, checked like the built-in ones
(docs/rule-format.md).

The table ends with next steps: the cradle fix commands for the failures
with a native fix, where the manual ones are explained (cradle rules ID),
how to get the HTML report and a waiver entry to copy.

SCAP content (--scap FILE, docs/scap.md): a SCAP 1.2/1.3 source data
stream or a plain XCCDF 1.2 benchmark (with its OVAL files next to it);
--profile takes an XCCDF Profile id and --tailoring an XCCDF tailoring
file. Each result is the XCCDF rule id with the XCCDF result (pass, fail,
notapplicable, notchecked, notselected, error, unknown, informational).
When every selected rule is notapplicable the scan exits 3 unless
--allow-all-notapplicable. Formats xccdf and arf write an XCCDF 1.2
TestResult and an ARF 1.1 report.

Formats (--format): table (terminal summary), json (docs/json-schema.md),
sarif (SARIF 2.1.0), junit (JUnit XML), html (self-contained report).
-o FILE writes the report atomically to FILE instead of standard output.

Exit codes: 0 no failing rule at or above --fail-on; 2 usage or input error;
3 rules failed or could not be evaluated (status error) at or above
--fail-on (default: info, i.e. any; "none" never fails); 1 internal error;
130 interrupted (SIGINT, SIGTERM).`

func newScanCmd(env *Env) *cobra.Command {
	f := &scanFlags{}
	cmd := &cobra.Command{
		Use:   "scan [--root DIR | --image FILE] [flags]",
		Short: "Evaluate a host, root filesystem or image against a hardening baseline",
		Long:  scanLong,
		Example: `  cradle scan                                 # this host, default profile
  cradle scan --root /srv/rootfs --profile strict
  cradle scan --image app.tar --profile product --format sarif -o app.sarif
  cradle scan --waivers waivers.yaml --fail-on high`,
		RunE: func(cmd *cobra.Command, args []string) error { return runScan(cmd, env, f) },
	}
	f.targetFlags.register(cmd, targetOpts{what: "scan"})
	f.selectionFlags.register(cmd, selectionOpts{verb: "evaluate"})
	f.outputFlags.register(cmd, output.KindScanReport, false)
	fl := cmd.Flags()
	fl.StringVar(&f.failOn, "fail-on", "info", "exit 3 when a rule fails or errors at or above `SEVERITY` (info, low, medium, high, critical, none)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "table format: list passing and not applicable rules too")
	fl.BoolVar(&f.noColor, "no-color", false, "never colour the table output")
	f.scap.register(cmd)
	fl.IntVar(&f.maxEvidence, "max-evidence", result.DefaultMaxEvidence, "keep at most `N` evidence items per result, then \"and M more\" (-1: no limit)")
	return cmd
}

func runScan(cmd *cobra.Command, env *Env, f *scanFlags) error {
	spec, sink, err := specFor(cmd, env, &f.targetFlags, &f.outputFlags)
	if err != nil {
		return err
	}
	failOn, err := parseFailOn(f.failOn)
	if err != nil {
		return err
	}
	if f.scap.content != "" {
		return runSCAPScan(cmd, env, f, spec, sink, failOn)
	}
	out, err := env.app().Scan(cmd.Context(), app.ScanInput{Target: spec, Selection: f.selection(), Progress: newProgress(env, f.quiet), MaxEvidence: f.maxEvidence})
	if err != nil {
		return err
	}
	if err := sink.Write(out.Report, output.Options{Color: useColor(env, sink, f.noColor), Verbose: f.verbose, Rerun: f.rerun()}); err != nil {
		return err
	}
	return app.Gate(out.Report, failOn)
}

// parseFailOn parses --fail-on: a severity, or "none" (0: never fail).
func parseFailOn(s string) (result.Severity, error) {
	if s == "none" {
		return 0, nil
	}
	sev, err := result.ParseSeverity(s)
	if err != nil {
		return 0, usageErr("--fail-on: %v", err)
	}
	return sev, nil
}

// rerun returns the selection flags besides --profile, as given, for
// the commands a report suggests (the profile is in the report).
func (sf *selectionFlags) rerun() []string {
	var out []string
	for _, f := range []struct{ name, v string }{{"--tailoring", sf.tailoring}, {"--waivers", sf.waivers}} {
		if f.v != "" {
			out = append(out, f.name, f.v)
		}
	}
	for _, f := range sf.ruleFiles {
		out = append(out, "--rules", f)
	}
	for _, r := range sf.rules {
		out = append(out, "--rule", r)
	}
	return out
}
