package cli

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/fix"
)

type fixFlags struct {
	scanFlags
	apply                    bool
	force                    []string
	changeRef, actor, reason string
	maxDisruption            string
	noReboot, noPreflight    bool
	strategies               []string
	noDiff                   bool
	learn, learnEvery        time.Duration
	key                      string
}

const fixLong = `Plan, and with --apply make, the changes that bring failing rules back to
their secure setting. Every fix is a typed operation computed natively — a
file edit shown as a unified diff, a permission or owner change, a systemd
unit disabled or masked through its symlinks, a module blacklist, an fstab
option, a runtime sysctl — never a shell script.

Without --apply this is a dry run: the target is scanned, fixes are
planned, checked by an impact preflight, and verified by re-running the
rules against the planned state; nothing is written.

With --apply, files to be written are validated first (sshd_config and
sudoers syntax; on the live host also "sshd -t" and "visudo -c"), then
every change is journaled under $CRADLE_HOME before it is made and files
are replaced atomically. The rules are scanned again to verify. "cradle
runs" lists applied runs and "cradle rollback RUN" restores a run exactly
(content, mode, owner, extended attributes). Each apply is recorded in the
signed change log ("cradle log").

Impact preflight: before a fix is applied cradle looks for evidence that
it would break something — root or password SSH logins in the auth logs,
listening services and established connections, units that need a unit
being disabled, loaded kernel modules, a container runtime that needs IP
forwarding. A fix with observed impact is refused unless forced for that
rule with --force RULE. --learn DURATION samples these signals on the live
host for a while before planning.

Filters (each rule's "fix:" metadata): --max-disruption low|medium|high
drops fixes rated above it, --no-reboot drops fixes that need a reboot,
--strategy configure,restrict keeps only those strategies (configure,
disable, enable, install, remove, restrict); --rule limits the rules.

Targets: the live host (default), --root DIR (an offline root filesystem;
package installs and other changes that need the running system are
reported as deferred), or --image FILE (plan only: images are rebuilt, not
patched).

Exit codes: 0 the plan was made (dry run) or every applied fix verified;
3 some fixes were refused, failed verification or could not be planned;
2 usage or input error, or validation refused the changes; 1 internal error.`

func newFixCmd(env *Env) *cobra.Command {
	f := &fixFlags{}
	cmd := &cobra.Command{
		Use:   "fix [--root DIR | --image FILE] [--apply] [flags]",
		Short: "Plan and apply reversible fixes for failing rules",
		Long:  fixLong,
		Example: `  cradle fix                                   # dry run on this host
  cradle fix --root /srv/rootfs --profile strict --apply --change-ref CHG-1234
  cradle fix --rule ssh.permit_root_login --format json
  cradle fix --apply --max-disruption low --no-reboot
  cradle fix --apply --force ssh.password_authentication
  cradle fix --learn 24h`,
		RunE: func(cmd *cobra.Command, args []string) error { return runFix(cmd, env, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.root, "root", "", "fix the offline root filesystem at `DIR`")
	fl.StringVar(&f.image, "image", "", "plan fixes for the container image `FILE` (no --apply)")
	fl.StringVarP(&f.profile, "profile", "p", "", "baseline profile: default, strict or product")
	fl.StringVar(&f.tailoring, "tailoring", "", "tailoring `FILE` (YAML)")
	fl.StringVar(&f.waivers, "waivers", "", "waivers `FILE` (YAML); waived rules are not fixed")
	fl.StringArrayVar(&f.rules, "rule", nil, "fix only rule `ID` (repeatable)")
	fl.BoolVar(&f.apply, "apply", false, "make the changes (default: dry run)")
	fl.StringArrayVar(&f.force, "force", nil, "apply rule `ID` despite observed impact (repeatable)")
	fl.StringVar(&f.changeRef, "change-ref", "", "change request or ticket `REF` recorded in the change log")
	fl.StringVar(&f.actor, "actor", "", "who asked for the change, recorded with the OS user")
	fl.StringVar(&f.reason, "reason", "", "why, recorded in the change log")
	fl.StringVar(&f.maxDisruption, "max-disruption", "", "only fixes rated at most `LEVEL`: low, medium or high")
	fl.BoolVar(&f.noReboot, "no-reboot", false, "skip fixes that need a reboot")
	fl.StringSliceVar(&f.strategies, "strategy", nil, "only fixes with these strategies: configure, disable, enable, install, remove, restrict")
	fl.BoolVar(&f.noPreflight, "no-preflight", false, "skip the impact preflight (nothing is refused)")
	fl.DurationVar(&f.learn, "learn", 0, "sample impact signals on the live host for `DURATION` before planning")
	fl.DurationVar(&f.learnEvery, "learn-interval", 10*time.Second, "sampling interval for --learn")
	fl.BoolVar(&f.noDiff, "no-diff", false, "table format: do not show file diffs")
	fl.StringVarP(&f.format, "format", "f", "table", "output format: table or json")
	fl.StringVarP(&f.output, "output", "o", "", "write the report to `FILE` (atomically)")
	fl.StringVar(&f.key, "key", "", "change-log signing key `FILE` (default $CRADLE_SIGNING_KEY or $CRADLE_HOME/keys)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress output")
	return cmd
}

func runFix(cmd *cobra.Command, env *Env, f *fixFlags) error {
	if f.root != "" && f.image != "" {
		return usageErr("--root and --image are mutually exclusive")
	}
	if f.format != "table" && f.format != "json" {
		return usageErr("--format: want table or json, got %q", f.format)
	}
	if f.maxDisruption != "" && !fix.ValidDisruption(f.maxDisruption) {
		return usageErr("--max-disruption: want low, medium or high, got %q", f.maxDisruption)
	}
	for _, s := range f.strategies {
		if !fix.ValidStrategy(s) {
			return usageErr("--strategy: unknown strategy %q (want configure, disable, enable, install, remove or restrict)", s)
		}
	}
	if f.image != "" && f.apply {
		return usageErr("--apply cannot change an image: rebuild it with the planned changes, or fix the root filesystem it is built from")
	}
	if f.learn > 0 && (f.root != "" || f.image != "") {
		return usageErr("--learn samples the running system and only works on the live host")
	}
	eng, opts, err := loadSelection(f.profile, f.tailoring, f.waivers, f.rules)
	if err != nil {
		return err
	}
	if _, err := eng.Plan(opts); err != nil {
		return inputErr(err)
	}
	for _, id := range f.force {
		if _, ok := eng.Rules.Lookup(id); !ok {
			return usageErr("--force: unknown rule %q", id)
		}
	}
	var clog *changelog.Log
	if f.apply {
		if clog, err = openFixLog(cmd, env, f, opts.Waivers); err != nil {
			return err
		}
	}
	t, err := openTarget(cmd.Context(), &f.scanFlags)
	if err != nil {
		return err
	}
	defer t.Close()

	fo := fix.Options{Engine: opts, Force: f.force, MaxDisruption: f.maxDisruption, NoReboot: f.noReboot, Strategies: f.strategies}
	if !f.noPreflight {
		a, err := preflight(cmd, env, t, f)
		if err != nil {
			return err
		}
		fo.Impact = a
	}
	progress := newProgress(env, f.quiet)
	fo.Engine.Progress = progress.update
	plan, err := fix.Make(cmd.Context(), eng, t, fo)
	progress.done()
	if err != nil {
		return err
	}
	doc := fix.NewDocument(plan, "plan")
	var applyErr error
	if f.apply && !plan.Empty() {
		var applied *fix.Document
		applied, applyErr = applyFix(cmd, env, f, eng, plan, fo, clog)
		if applied == nil {
			return applyErr
		}
		doc = applied
	}
	var buf bytes.Buffer
	if f.format == "json" {
		err = doc.JSON(&buf)
	} else {
		err = doc.Table(&buf, !f.noDiff)
	}
	if err != nil {
		return err
	}
	// Reports show configuration content: keep them private.
	if f.output != "" {
		if err := fileutil.WriteAtomic(f.output, buf.Bytes(), 0o600); err != nil {
			return inputErr(err)
		}
	} else if _, err := env.Stdout.Write(buf.Bytes()); err != nil {
		return err
	}
	if applyErr != nil {
		return applyErr
	}
	return fixOutcome(doc)
}

// fixOutcome maps the document to the exit status: refused fixes,
// planning errors and failed verification are findings.
func fixOutcome(doc *fix.Document) error {
	bad := 0
	for _, st := range []string{fix.StatusRefused, fix.StatusError, fix.StatusStillFails} {
		bad += doc.Summary[st]
	}
	if doc.Mode == "apply" {
		bad += doc.Summary[fix.StatusPartial]
	}
	if bad > 0 {
		return findingsErr("%d rule(s) not fixed: %s", bad, summaryList(doc, fix.StatusRefused, fix.StatusError, fix.StatusStillFails, fix.StatusPartial))
	}
	return nil
}

func summaryList(doc *fix.Document, sts ...string) string {
	var ids []string
	for _, rf := range doc.Rules {
		if slices.Contains(sts, rf.Status) && (doc.Mode == "apply" || rf.Status != fix.StatusPartial) {
			ids = append(ids, rf.Rule)
		}
	}
	if len(ids) > 8 {
		return fmt.Sprintf("%v and %d more", ids[:8], len(ids)-8)
	}
	return fmt.Sprint(ids)
}
